package socklab.experiment;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import socklab.report.Charts;
import socklab.report.ReportSection;

/**
 * One experiment of the suite: what it measures, its knobs, how to run it, and how its result reads
 * in the report. {@code socklab experiment NAME} and {@code make bench} find experiments by name in
 * {@link Experiments}; the report finds the renderer by the name in each result file, so a result
 * written by one build can be rendered by the next.
 *
 * @param <R> the result: a record tree that Jackson writes as the {@code result} of the JSON file and
 *            reads back for the report
 */
public abstract class Experiment<R> {
    private final String name;
    private final String title;
    private final String description;
    private final Class<R> resultType;

    /**
     * @param name        the CLI name: {@code balance}
     * @param title       the report's heading for it
     * @param description what it does, in a few sentences: --help, README and report
     */
    protected Experiment(String name, String title, String description, Class<R> resultType) {
        this.name = name;
        this.title = title;
        this.description = description;
        this.resultType = resultType;
    }

    public final String name() {
        return name;
    }

    public final String title() {
        return title;
    }

    public final String description() {
        return description;
    }

    public final Class<R> resultType() {
        return resultType;
    }

    public abstract List<Knob> knobs();

    /** How each number of the result was measured, by JSON path: written into the file beside them. */
    public abstract Map<String, String> fields();

    /** Runs the experiment; progress lines go to {@code out}. */
    public abstract R run(Params params, PrintWriter out) throws InterruptedException;

    /** The lines printed after a run: the result at a glance. */
    public abstract List<String> table(R result);

    /** Its part of the report: tables, charts (added to {@code charts}) and findings, from {@code result} alone. */
    public abstract ReportSection report(R result, Params params, Charts charts);

    /**
     * The result's raw series as tables, written as CSV next to the JSON ({@code NAME-…-SHA-KEY.csv}) for
     * spreadsheets and plotting tools: key to rows, the first row the header. None by default.
     */
    public Map<String, List<List<Object>>> csv(R result) {
        return Map.of();
    }

    /** {@link #fields()} from pairs: path, how it was measured, path, … in order. */
    protected static Map<String, String> fields(String... pathThenHow) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (int i = 0; i + 1 < pathThenHow.length; i += 2) {
            fields.put(pathThenHow[i], pathThenHow[i + 1]);
        }
        return fields;
    }
}
