package socklab.experiment;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;

/**
 * Runs one experiment in this JVM and writes its {@link ResultFile}: the environment first (from
 * inside the namespace the experiment runs in), then the run, then the file.
 */
public final class Runner {
    private Runner() {}

    /** The file written and the result, typed. */
    public record Outcome<R>(Path file, R result) {}

    public static <R> Outcome<R> run(Experiment<R> experiment, Params params, Path resultsDir, String gitSha,
                                     PrintWriter out) throws InterruptedException {
        Environment environment = Environment.capture(gitSha);
        out.println(experiment.name() + ": " + params.values() + " (" + environment.countersScope() + ")");
        out.flush();
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        MachineShare machine = new MachineShare();
        R result = experiment.run(params, out);
        double seconds = (System.nanoTime() - t0) / 1e9;
        Path path = ResultFile.of(experiment, params, environment, started, seconds, machine.othersSinceStart(), result)
                .write(resultsDir, params);
        experiment.csv(result).forEach((key, table) -> ResultFile.writeCsv(path, key, table));
        experiment.table(result).forEach(out::println);
        out.println("results: " + path);
        out.flush();
        return new Outcome<>(path, result);
    }
}
