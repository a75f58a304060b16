package socklab.report;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The few pieces of Markdown the report writes: tables, numbers, lists of definitions. */
public final class Markdown {
    private Markdown() {}

    /** A GitHub-style table; the first column left-aligned, the others right-aligned (numbers). */
    public static String table(List<String> header, List<List<String>> rows) {
        StringBuilder md = new StringBuilder();
        md.append(row(header));
        md.append('|');
        for (int i = 0; i < header.size(); i++) {
            md.append(i == 0 ? " --- |" : " ---: |");
        }
        md.append('\n');
        for (List<String> r : rows) {
            if (r.size() != header.size()) {
                throw new IllegalArgumentException("a table row has " + r.size() + " cells, the header " + header.size());
            }
            md.append(row(r));
        }
        return md.append('\n').toString();
    }

    private static String row(List<String> cells) {
        StringBuilder md = new StringBuilder("|");
        for (String c : cells) {
            md.append(' ').append(c.replace("|", "\\|")).append(" |");
        }
        return md.append('\n').toString();
    }

    /** {@code key}: text per line, as a bullet list (how each number was measured). */
    public static String definitions(Map<String, String> entries) {
        StringBuilder md = new StringBuilder();
        entries.forEach((k, v) -> md.append("- `").append(k).append("`: ").append(v).append('\n'));
        return md.append('\n').toString();
    }

    /** A number with {@code digits} decimals, no grouping: tables stay greppable. */
    public static String num(double x, int digits) {
        return String.format(Locale.ROOT, "%." + digits + "f", x);
    }

    /** A count with thousands separated by a thin space (U+2009): 12 345. */
    public static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n).replace(',', '\u2009');
    }

    /** {@code x}, or a dash when it is undefined (null). */
    public static String numOrDash(Double x, int digits) {
        return x == null ? "–" : num(x, digits);
    }
}
