package socklab.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code socklab counters}: deltas over an interval or around a command, and bad input. */
class CountersCommandTest {

    @Test
    void overAnIntervalPrintsTheKeyCountersAndSaysTheyArePerNamespace() {
        CliRun run = CliRun.of("counters", "--interval", "50ms");
        assertEquals(0, run.exit(), run.err());
        String first = run.out().lines().findFirst().orElseThrow();
        assertTrue(first.startsWith("TCP counter changes over an interval of 50 ms, measured 0."), first);
        assertTrue(first.contains("network namespace net:[") && first.contains("per namespace"), first);
        for (String key : new String[] {"TcpExtListenOverflows", "TcpExtListenDrops", "TcpExtTCPReqQFullDoCookies", "TcpRetransSegs"}) {
            assertTrue(run.out().lines().anyMatch(l -> l.matches("\\s+" + key + "\\s+\\+\\d+")), key + " in " + run.out());
        }
    }

    @Test
    void aroundACommandExitsWithItsExitCode() {
        CliRun run = CliRun.of("counters", "--", "sh", "-c", "exit 3");
        assertEquals(3, run.exit(), run.err());
        assertTrue(run.out().startsWith("TCP counter changes over 'sh -c exit 3' (exit 3), measured "), run.out());
    }

    @Test
    void aCommandThatCannotRunIsOneLineAndExitOne() {
        CliRun run = CliRun.of("counters", "--", "/nonexistent/socklab-no-such-program");
        assertEquals(1, run.exit());
        assertTrue(run.firstErrorLine().startsWith("socklab: cannot run '/nonexistent/socklab-no-such-program': "), run.err());
        assertTrue(run.firstErrorLine().endsWith("(give a program on PATH after --)"), run.err());
        assertEquals(1, run.err().lines().count(), run.err());
    }

    @Test
    void intervalAndCommandTogetherIsAUsageError() {
        CliRun run = CliRun.of("counters", "--interval", "1s", "--", "true");
        assertEquals(2, run.exit());
        assertEquals("socklab: give --interval or a COMMAND, not both", run.firstErrorLine());
    }

    @Test
    void countersPrintAlignedWithSignedDeltasAndGaugesMarked() {
        Map<String, Long> counters = new LinkedHashMap<>();
        counters.put("TcpActiveOpens", 5L);
        counters.put("TcpCurrEstab", -2L);
        StringWriter deltas = new StringWriter();
        CounterLines.print(new PrintWriter(deltas, true), counters, true);
        assertEquals("  TcpActiveOpens +5%n  TcpCurrEstab   -2 (gauge: change of level)%n".formatted(), deltas.toString());
        StringWriter totals = new StringWriter();
        CounterLines.print(new PrintWriter(totals, true), counters, false);
        assertEquals("  TcpActiveOpens 5%n  TcpCurrEstab   -2%n".formatted(), totals.toString());
    }
}
