package socklab.cli;

import java.io.PrintWriter;
import java.util.Map;

/** Prints counters one per line, name then value, as nstat does; deltas get an explicit sign. */
final class CounterLines {
    private CounterLines() {}

    static void print(PrintWriter out, Map<String, Long> counters, boolean deltas) {
        int width = counters.keySet().stream().mapToInt(String::length).max().orElse(0);
        counters.forEach((name, value) ->
                out.printf("  %-" + width + "s %s%n", name, deltas ? String.format("%+d", value) : Long.toString(value)));
    }
}
