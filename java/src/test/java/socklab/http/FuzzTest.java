package socklab.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Bad input through the real connection state machine ({@link ConnectionHarness}), fast: the corpus
 * with its exact answers, then {@link #INPUTS} seeded fuzzed inputs. For every fuzzed input: nothing
 * throws, the connection closes by itself once the client's input ends (no input leaves it waiting
 * for a timeout), what it sent parses as well-formed responses, and every status is an allowed one.
 * Every tenth input is sent again in random pieces of 1 to 64 bytes, and must get the same answers
 * (only a 100 Continue may come or go, since that depends on whether the body had arrived). No
 * descriptor may be left open.
 *
 * <p>More inputs or another seed: {@code -Dsocklab.fuzz.inputs=1000000 -Dsocklab.fuzz.seed=7}
 * (through make: {@code make test FUZZ_INPUTS=1000000 FUZZ_SEED=7}). A failure names the seed, the
 * input's index and the input itself.
 */
class FuzzTest {
    static final int INPUTS = Integer.getInteger("socklab.fuzz.inputs", 100_000);
    static final long SEED = Long.getLong("socklab.fuzz.seed", 20_261_127L);

    private final FuzzRoutes routes = new FuzzRoutes();
    private ConnectionHarness harness;
    private long socketsBefore;

    @BeforeEach
    void open() {
        socketsBefore = openSockets();
        harness = new ConnectionHarness(HttpLimits.DEFAULTS, routes);
    }

    @AfterEach
    void close() {
        harness.close();
        assertEquals(socketsBefore, openSockets(), "socket descriptors after the run");
    }

    @Test
    void everyCorpusCaseGetsItsAnswer() {
        List<String> wrong = new ArrayList<>();
        for (HostileInputs.Case c : HostileInputs.corpus()) {
            Outcome o = run(c.bytes(), null);
            if (o.problem != null || !o.statuses.equals(c.statuses())) {
                wrong.add(c.name() + ": expected " + c.statuses() + ", got " + o);
            }
        }
        assertEquals(List.of(), wrong);
    }

    @Test
    void fuzzedInputsGetAllowedAnswersOrACloseWhateverThePieces() {
        SplittableRandom random = new SplittableRandom(SEED);
        SplittableRandom pieces = new SplittableRandom(SEED + 1);
        Map<String, Integer> tally = new TreeMap<>();
        int piecewise = 0;
        for (int i = 0; i < INPUTS; i++) {
            byte[] input = HostileInputs.fuzz(random);
            Outcome whole = run(input, null);
            int index = i;
            Supplier<String> where = () -> "seed " + SEED + ", input " + index + ": " + HostileInputs.escape(input);
            assertEquals(null, whole.problem, where);
            for (int status : whole.statuses) {
                assertTrue(HostileInputs.ALLOWED.contains(status), () -> "status " + status + " for " + where.get());
            }
            tally.merge(whole.statuses.isEmpty() ? "close without an answer" : "last answer " + whole.statuses.getLast(), 1, Integer::sum);
            if (i % 10 == 0) {
                Outcome split = run(input, randomPieces(pieces, input.length));
                assertEquals(null, split.problem, () -> "in pieces, " + where.get());
                assertEquals(whole.statuses, split.statuses, () -> "whole and in pieces, " + where.get());
                piecewise++;
            }
        }
        System.out.println("fuzz: seed " + SEED + ", " + INPUTS + " inputs (" + piecewise + " also in pieces): " + tally);
        assertEquals(INPUTS, tally.values().stream().mapToInt(Integer::intValue).sum());
    }

    /** What one input got: the final statuses, or a problem (stuck, malformed output, an exception). */
    record Outcome(List<Integer> statuses, String problem) {}

    private Outcome run(byte[] input, int[] pieces) {
        routes.reset();
        ConnectionHarness.Exchange e;
        try {
            e = pieces == null ? harness.run(input) : harness.run(input, pieces);
        } catch (RuntimeException thrown) {
            return new Outcome(List.of(), "threw " + thrown);
        }
        ResponseStream.Parsed parsed = ResponseStream.parse(e.output(), routes.heads());
        if (!e.closed()) {
            return new Outcome(parsed.statuses(), "the connection still waits after the client's end of stream");
        }
        return new Outcome(parsed.statuses(), parsed.error());
    }

    private static int[] randomPieces(SplittableRandom r, int length) {
        List<Integer> sizes = new ArrayList<>();
        for (int left = length; left > 0; ) {
            int n = Math.min(left, r.nextInt(1, 65));
            sizes.add(n);
            left -= n;
        }
        return sizes.stream().mapToInt(Integer::intValue).toArray();
    }

    private static long openSockets() {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.filter(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString().startsWith("socket:");
                } catch (IOException gone) {
                    return false;
                }
            }).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
