package socklab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import socklab.load.TestHttpServer;
import socklab.sys.Fd;
import socklab.sys.SockAddr;
import socklab.sys.Sockets;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(30)
class LoadCommandTest {
    @Test
    void badValuesExitTwoWithOneLineNamingTheCause() {
        List<List<String>> cases = List.of(
                List.of("--target", "nohost", "name:port|host:port"),
                List.of("--target", "127.0.0.1:70000", "host:port"),
                List.of("--target", "127.0.0.1:1", "--connections", "0", "--connections must be at least 1"),
                List.of("--target", "127.0.0.1:1", "--connections", "x", "--connections"),
                List.of("--target", "127.0.0.1:1", "--mode", "bogus", "unknown mode 'bogus'"),
                List.of("--target", "127.0.0.1:1", "--duration", "abc", "'abc' is not a duration"),
                List.of("--target", "127.0.0.1:1", "--duration", "0s", "not a usable interval"),
                List.of("--target", "127.0.0.1:1", "--mode", "open", "--mode open needs --rate"),
                List.of("--target", "127.0.0.1:1", "--rate", "100", "--rate does not apply to --mode closed"),
                List.of("--target", "127.0.0.1:1", "--mode", "storm", "--duration", "1s", "--duration does not apply to --mode storm"),
                List.of("--target", "127.0.0.1:1", "--threads", "9", "--connections", "2", "--threads 9 exceeds --connections 2"),
                List.of("--target", "127.0.0.1:1", "--path", "no-slash", "--path 'no-slash' must"),
                List.of("--target", "127.0.0.1:1", "--connect-only", "--connect-only applies only to --mode storm"),
                List.of("--target", "127.0.0.1:1", "--json", "/no/such/dir/r.json", "directory /no/such/dir does not exist"));
        for (List<String> c : cases) {
            List<String> args = new java.util.ArrayList<>(List.of("load"));
            args.addAll(c.subList(0, c.size() - 1));
            String expected = c.getLast();
            CliRun run = CliRun.of(args.toArray(String[]::new));
            assertEquals(2, run.exit(), args + ": " + run.err());
            String line = run.firstErrorLine();
            assertTrue(line.startsWith("socklab: "), line);
            assertTrue(java.util.Arrays.stream(expected.split("\\|")).anyMatch(line::contains), args + " said: " + line);
            assertTrue(run.err().contains("Usage: socklab load"), "usage follows the line");
            assertEquals("", run.out(), "no run, no summary");
        }
        CliRun bare = CliRun.of("load");
        assertEquals(2, bare.exit());
        assertTrue(bare.firstErrorLine().contains("--target"), bare.firstErrorLine());
    }

    @Test
    void runPrintsTheSummaryAndWritesJson(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("load.json");
        CliRun run;
        try (TestHttpServer server = new TestHttpServer(2)) {
            run = CliRun.of("load", "--target", server.target(), "-c", "2", "-t", "1", "-d", "300ms", "--warmup", "0",
                    "--json", json.toString());
        }
        assertEquals(0, run.exit(), run.err());
        assertEquals("", run.err(), "stderr is not a terminal here: no progress bar");
        String summary = run.out();
        assertTrue(summary.startsWith("closed to 127.0.0.1:"), summary);
        assertTrue(summary.contains("200: "), summary);
        assertTrue(summary.contains("connections w0 1 (50.0%)  w1 1 (50.0%)"), summary);

        JsonNode r = new ObjectMapper().readTree(json.toFile());
        long responses = r.get("responses").asLong();
        assertTrue(responses > 0);
        assertEquals(responses, r.get("statuses").get("200").asLong());
        assertEquals(responses, r.get("responsesPerWorker").get("w0").asLong() + r.get("responsesPerWorker").get("w1").asLong());
        assertEquals(0, r.get("unaccountedRequests").asLong());
        assertEquals("closed", r.get("config").get("mode").asText());
        assertEquals(0.3, r.get("config").get("duration").asDouble(), 1e-9);
        assertEquals(0, r.get("errors").get("timeout").asLong());
        // The whole histogram travels as HdrHistogram's compressed encoding and decodes to the same count.
        JsonNode latency = r.get("latency");
        assertEquals("us", latency.get("unit").asText());
        Histogram decoded = Histogram.decodeFromCompressedByteBuffer(
                ByteBuffer.wrap(Base64.getDecoder().decode(latency.get("hdr").asText())), 0);
        assertEquals(responses, decoded.getTotalCount());
        assertEquals(latency.get("p99").asDouble(), decoded.getValueAtPercentile(99) / 1e3, 1e-9);
    }

    @Test
    void noListenerExitsOneNamingTheRefusal() {
        int bound = Sockets.tcpSocket(SockAddr.AF_INET, Sockets.SOCK_CLOEXEC);
        try {
            Sockets.bind(bound, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            String target = SockAddr.format(Sockets.localAddress(bound));
            CliRun run = CliRun.of("load", "--target", target, "-c", "1", "-d", "100ms", "--warmup", "0");
            assertEquals(1, run.exit());
            assertEquals(1, run.err().lines().count(), run.err());
            assertTrue(run.firstErrorLine().contains("no connection to " + target + " was established"), run.firstErrorLine());
            assertTrue(run.firstErrorLine().contains("ECONNREFUSED"), run.firstErrorLine());
            assertTrue(run.out().contains("connect-refused"), run.out());
        } finally {
            Fd.close(bound);
        }
    }
}
