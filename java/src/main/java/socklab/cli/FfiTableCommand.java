package socklab.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import socklab.experiment.FfiCost;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code socklab ffi-table}: the FFI cost table from the files `make bench-ffi` writes. */
@Command(name = "ffi-table",
        description = "Print the FFI cost table (ns/op per call and binding, ratio to the C floor) from the JMH JSON "
                + "of the socklab.bench.ffi benchmarks and the output of native/build/cfloor; `make bench-ffi` runs it.")
public final class FfiTableCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--jmh", required = true, paramLabel = "FILE", description = "JMH JSON result file (-rf json).")
    Path jmh;

    @Option(names = "--floor", required = true, paramLabel = "FILE", description = "What native/build/cfloor printed.")
    Path floor;

    @Override
    public Integer call() throws IOException {
        for (Path file : List.of(jmh, floor)) {
            if (!Files.isRegularFile(file)) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        file + " does not exist: 'make bench-ffi' writes both files under results/");
            }
        }
        FfiCost.report(jmh, Files.readAllLines(floor)).forEach(spec.commandLine().getOut()::println);
        return 0;
    }
}
