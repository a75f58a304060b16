package socklab.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The comments flags of {@code serve} and the flags of {@code experiment idempotency}: bad values are one line, exit 2. */
class IdempotencyFlagsTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "serve {0}")
    @CsvSource(delimiter = '|', value = {
            "--fault-drop 0.5                          | --fault-drop applies to the comments API: give --data-dir DIR too",
            "--require-idempotency-key                 | --require-idempotency-key applies to the comments API",
            "--data-dir DIR --fault-drop 2             | --fault-drop is a probability from 0 to 1, got 2.0",
            "--data-dir DIR --fault-drop 0.6 --fault-delay 0.6 | add up to more than 1",
            "--data-dir DIR --idempotency-ttl 0h       | '0h' is not a usable interval",
            "--data-dir DIR --idempotency-ttl 1d       | '1d' is not a duration",
            "--data-dir FILE/sub                       | cannot create the data directory"})
    void badCommentsFlagsAreOneLineAndExitTwo(String args, String expected) throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "not a directory");
        String[] argv = ("serve --port 0 " + args.trim()).replace("DIR", dir.resolve("data").toString())
                .replace("FILE", file.toString()).split(" +");
        CliRun run = CliRun.of(argv);
        assertEquals(2, run.exit(), run.err());
        assertTrue(run.firstErrorLine().startsWith("socklab: ") && run.firstErrorLine().contains(expected), run.firstErrorLine());
        assertEquals("", run.out());
    }

    @ParameterizedTest(name = "experiment {0}")
    @CsvSource(delimiter = '|', value = {
            "                                          | Missing experiment: give one of the experiments below",
            "idempotency --requests 1                  | --requests must be at least 2",
            "idempotency --fault-delay-for 100ms       | --fault-delay-for (100 ms) must exceed both --client-timeout and --proxy-timeout",
            "idempotency --fault-drop -1               | --fault-drop is a probability from 0 to 1",
            "idempotency --client-timeout 700ms        | --fault-delay-for (600 ms) must exceed both",
            "idempotency --nginx /no/such/nginx        | --nginx /no/such/nginx is not an executable file",
            "idempotency --model nope                  | unknown model 'nope'"})
    void badExperimentFlagsAreOneLineAndExitTwo(String args, String expected) {
        String line = "experiment " + (args == null ? "" : args.trim());
        CliRun run = CliRun.of(line.trim().split(" +"));
        assertEquals(2, run.exit(), run.err());
        assertTrue(run.firstErrorLine().contains(expected), run.firstErrorLine());
        assertTrue(run.err().contains("Usage: socklab experiment"), run.err());
    }
}
