package socklab.experiment;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Runs an experiment at a tiny size through {@link Runner}, as the CLI does, and reads its result back
 * from the file written: every test also checks that the file is well-formed and holds the result.
 */
final class Tiny {
    private Tiny() {}

    /** {@code knobs}: name, value, name, value, … over the quick profile's defaults. */
    static <R> R run(Experiment<R> experiment, Path dir, String... knobs) throws InterruptedException {
        Map<String, String> given = new LinkedHashMap<>();
        for (int i = 0; i < knobs.length; i += 2) {
            given.put(knobs[i], knobs[i + 1]);
        }
        Params params = Params.of(experiment.knobs(), Profile.QUICK, given);
        Runner.Outcome<R> outcome = Runner.run(experiment, params, dir, "test", new PrintWriter(new StringWriter()));
        ResultFile file = ResultFile.read(outcome.file());
        assertEquals(experiment.name(), file.experiment());
        assertEquals(params.values(), file.parameters());
        assertEquals("test", file.environment().gitSha());
        R reread = file.result(experiment.resultType());
        assertEquals(ResultFile.JSON.valueToTree(outcome.result()), ResultFile.JSON.valueToTree(reread),
                "the file holds the result as run");
        return reread;
    }
}
