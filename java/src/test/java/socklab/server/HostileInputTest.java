package socklab.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import socklab.http.ConnectionHarness;
import socklab.http.FuzzRoutes;
import socklab.http.HostileInputs;
import socklab.http.HttpLimits;
import socklab.http.ResponseStream;
import socklab.http.WorkerStats;

/**
 * The hostile corpus and a sample of the fuzzer's inputs over real TCP connections to every model:
 * each input in one write, then the client's end of stream, then everything the server sends until it
 * closes. The corpus must get its exact answers; each fuzzed input the same answers as the connection
 * state machine gave it in the harness ({@link ConnectionHarness}, the oracle), which is what ties
 * the fast fuzz run to the servers. Inputs that would make a real server work or sleep for long are
 * left out of the sample ({@link FuzzRoutes#cheapForARealServer}). Afterwards the server must still
 * answer, must have counted every connection, and (CheckedServer) must not have failed, reported an
 * internal error or kept a descriptor or a thread.
 */
class HostileInputTest {
    private static final int FUZZ_SAMPLE = 200;
    private static final long SAMPLE_SEED = 99;

    static Stream<ServerConfig> models() {
        return CheckedServer.everyModel(HttpLimits.DEFAULTS).stream();
    }

    private CheckedServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void corpusAndFuzzSampleGetTheOraclesAnswersOverTcp(ServerConfig config) throws IOException {
        server = new CheckedServer(config, router -> {});
        InetSocketAddress address = server.address();
        List<String> wrong = new ArrayList<>();
        int connections = 0;
        for (HostileInputs.Case c : HostileInputs.corpus()) {
            ResponseStream.Parsed got = ResponseStream.parse(exchange(address, c.bytes()), List.of());
            connections++;
            if (got.error() != null || !got.statuses().equals(c.statuses())) {
                wrong.add(c.name() + ": expected " + c.statuses() + ", got " + got);
            }
        }

        FuzzRoutes routes = new FuzzRoutes();
        SplittableRandom random = new SplittableRandom(SAMPLE_SEED + config.model().ordinal());
        int sent = 0;
        try (ConnectionHarness oracle = new ConnectionHarness(HttpLimits.DEFAULTS, routes)) {
            for (int i = 0; sent < FUZZ_SAMPLE; i++) {
                byte[] input = HostileInputs.fuzz(random);
                routes.reset();
                ConnectionHarness.Exchange expected = oracle.run(input);
                if (!routes.cheapForARealServer()) {
                    continue;
                }
                List<Integer> want = ResponseStream.parse(expected.output(), routes.heads()).statuses();
                ResponseStream.Parsed got = ResponseStream.parse(exchange(address, input), routes.heads());
                connections++;
                sent++;
                if (got.error() != null || !got.statuses().equals(want)) {
                    wrong.add("fuzz seed " + (SAMPLE_SEED + config.model().ordinal()) + " input " + i + " "
                            + HostileInputs.escape(input) + ": the harness answered " + want + ", the server " + got);
                }
            }
        }
        assertEquals(List.of(), wrong);

        try (TestClient c = new TestClient(address)) {
            assertEquals("hello\n", c.get("/").body(), "the server still serves");
        }
        assertEquals(connections + 1, server.total(WorkerStats::accepted), "every connection accepted once");
        System.out.println("hostile input " + config.describe() + ": " + HostileInputs.corpus().size() + " corpus cases and "
                + FUZZ_SAMPLE + " fuzzed inputs over TCP, all as the harness answered");
    }

    /** Sends {@code input} and the end of stream; returns all the server sent until it closed. */
    private static byte[] exchange(InetSocketAddress address, byte[] input) throws IOException {
        try (Socket s = new Socket(address.getAddress(), address.getPort())) {
            s.setSoTimeout(TestClient.READ_TIMEOUT_MILLIS);
            s.getOutputStream().write(input);
            s.shutdownOutput();
            return s.getInputStream().readAllBytes(); // a timeout throws: the server kept the connection open
        }
    }
}
