package socklab.cli;

import socklab.kernel.NetCounters;

import java.io.PrintWriter;
import java.util.Map;

/**
 * Prints counters one per line, name then value, as nstat does; deltas get an explicit sign, and a
 * gauge's delta (TcpCurrEstab) says it is a change of level, not a count of events.
 */
final class CounterLines {
    private CounterLines() {}

    static void print(PrintWriter out, Map<String, Long> counters, boolean deltas) {
        int width = counters.keySet().stream().mapToInt(String::length).max().orElse(0);
        counters.forEach((name, value) -> out.printf("  %-" + width + "s %s%n", name, !deltas ? Long.toString(value)
                : String.format("%+d", value) + (NetCounters.GAUGES.contains(name) ? " (gauge: change of level)" : "")));
    }
}
