package socklab.experiment;

import org.apache.commons.math3.stat.descriptive.SummaryStatistics;
import org.junit.jupiter.api.Test;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The FFI cost table from a small JMH JSON fixture (the real format, trimmed: two calls, a failure
 * count, an unrelated benchmark and a throughput result that must be left out) and cfloor lines.
 */
class FfiCostTest {
    private static final List<String> FLOOR = List.of("getpid 69 70 71 70 70", "recvEagain 100 100.5", "");

    private static Path fixture() throws URISyntaxException {
        return Path.of(FfiCostTest.class.getResource("ffi-jmh.json").toURI());
    }

    @Test
    void oneRowPerCallAndBindingWithErrorRatioToTheFloorAndFailures() throws Exception {
        List<String> table = FfiCost.report(fixture(), FLOOR);
        assertEquals("FFI cost per call, ns/op ± 99.9% CI (JMH avgt, 1 fork x 5 x 1 s; JDK 25.0.3); "
                + "× C = ratio to the C floor (native/cfloor)", table.get(0));
        assertEquals(List.of(
                "call                 binding            ns/op   ± error      × C failures",
                "getpid               c                   70.0       2.7    1.00x        -",
                "                     ffm                 80.0       2.0    1.14x        -",
                "                     ffm-critical        79.0       1.0    1.13x        -",
                "                     jni                 90.0       2.0    1.29x        -",
                "                     jnr                150.0       5.0    2.14x        -",
                "recv, EAGAIN         c                  100.3       n/a    1.00x        -",
                "                     ffm                200.0       4.0    2.00x        0",
                "                     jni                190.0      20.0    1.90x        3",
                "                     jnr                300.0      10.0    2.99x        0",
                "                     nio                320.0       n/a    3.19x        0",
                "goal ffm <= jni <= jnr: met on 1 of 2 calls; not met on:",
                "  recv, EAGAIN: ffm 200.0 > jni 190.0 ns/op (within the errors)",
                "goal ffm within 1.3x of the C floor on getpid: 1.14x, met"), table.subList(1, table.size()));
    }

    @Test
    void theFloorsErrorIsJmhsConfidenceIntervalFromStudentsT() {
        SummaryStatistics rounds = new SummaryStatistics();
        for (double v : new double[] {69, 70, 71, 70, 70}) {
            rounds.addValue(v);
        }
        // t(0.9995, 4 degrees of freedom) = 8.610 (tables); sd = sqrt(2/4); n = 5.
        assertEquals(8.610 * Math.sqrt(0.5) / Math.sqrt(5), FfiCost.meanError(rounds), 1e-3);
        SummaryStatistics two = new SummaryStatistics();
        two.addValue(1);
        two.addValue(2);
        assertTrue(Double.isNaN(FfiCost.meanError(two)), "JMH gives no error for two samples, nor does the table");
    }

    @Test
    void anOrderBrokenBeyondTheErrorsAndAMissedFloorGoalAreSaidPlainly() {
        List<FfiCost.Cell> cells = List.of(
                new FfiCost.Cell(FfiCost.Call.GETPID, "c", 50, 1, -1),
                new FfiCost.Cell(FfiCost.Call.GETPID, "ffm", 90, 1, -1),
                new FfiCost.Cell(FfiCost.Call.GETPID, "jni", 60, 1, -1),
                new FfiCost.Cell(FfiCost.Call.GETPID, "jnr", 200, 1, -1));
        assertEquals(List.of("goal ffm <= jni <= jnr: met on 0 of 1 calls; not met on:",
                "  getpid: ffm 90.0 > jni 60.0 ns/op",
                "goal ffm within 1.3x of the C floor on getpid: 1.80x, not met"), FfiCost.goal(cells));
    }

    @Test
    void anUnknownCallFromCfloorOrAFileWithoutFfiResultsIsAnError() throws Exception {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> FfiCost.readFloor(List.of("sendfile 1 2 3")));
        assertEquals("cfloor printed an unknown call 'sendfile': sendfile 1 2 3", unknown.getMessage());
        Path empty = Path.of(System.getProperty("java.io.tmpdir"), "socklab-ffi-empty-" + ProcessHandle.current().pid() + ".json");
        java.nio.file.Files.writeString(empty, "[]");
        try {
            IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> FfiCost.report(empty, FLOOR));
            assertEquals(empty + " holds no socklab.bench.ffi result: run 'make bench-ffi'", none.getMessage());
        } finally {
            java.nio.file.Files.delete(empty);
        }
    }
}
