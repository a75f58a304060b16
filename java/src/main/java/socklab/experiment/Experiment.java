package socklab.experiment;

import java.io.PrintWriter;
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
public interface Experiment<R> {

    /** The CLI name: {@code balance}. */
    String name();

    /** The report's heading for it. */
    String title();

    /** What it does, in a few sentences: --help, README and report. */
    String description();

    List<Knob> knobs();

    /** How each number of the result was measured, by JSON path: written into the file beside them. */
    Map<String, String> fields();

    Class<R> resultType();

    /** Runs the experiment; progress lines go to {@code out}. */
    R run(Params params, PrintWriter out) throws InterruptedException;

    /** The lines printed after a run: the result at a glance. */
    List<String> table(R result);

    /** Its part of the report: tables, charts (added to {@code charts}) and findings, from {@code result} alone. */
    ReportSection report(R result, Params params, Charts charts);
}
