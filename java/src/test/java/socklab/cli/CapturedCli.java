package socklab.cli;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the CLI in this JVM with its standard output and error captured, as the tests read them. */
final class CapturedCli {
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();

    /** The exit code {@code ./socklab args} would have. */
    int run(String... args) {
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }
}
