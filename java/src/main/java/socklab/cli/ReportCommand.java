package socklab.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import socklab.report.ReportBuilder;

/** {@code socklab report --run DIR}: the Markdown and HTML report of a bench run, from its result files. */
@Command(name = "report", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write report-SHA.md and report-SHA.html (SVG charts inline) from the result files of a run.",
                "Reads the experiments' JSON, idempotency's JSON, jmh-*.json and ffi-*.txt in the run directory."})
public final class ReportCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--run", paramLabel = "DIR", required = true, description = "The run directory (make bench: results/DATE-SHA).")
    Path run;

    @Option(names = "--out", paramLabel = "DIR", description = "Where the report goes (default: the run directory's parent).")
    Path out;

    @Override
    public Integer call() {
        if (!Files.isDirectory(run)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--run " + run + " is not a directory: give the run "
                    + "directory that socklab experiment all --results wrote");
        }
        Path outDir = out != null ? out : run.toAbsolutePath().normalize().getParent();
        ReportBuilder.Report report = ReportBuilder.build(run, outDir, VersionCommand.gitSha());
        spec.commandLine().getOut().println("report: " + report.html() + " (and " + report.markdown().getFileName() + ", "
                + report.sections().size() + " sections)");
        return 0;
    }
}
