package socklab.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MainTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void versionNamesSocklabJdkAndKernel() {
        assertEquals(0, run("version"));
        String[] lines = out.toString().split("\n");
        assertEquals(3, lines.length, out.toString());
        assertTrue(lines[0].startsWith("socklab "), lines[0]);
        assertTrue(lines[1].contains(Runtime.version().toString()), lines[1]);
        assertTrue(lines[2].startsWith("kernel  Linux "), lines[2]);
    }

    @Test
    void unknownFlagIsOneLineThenUsageAndExitTwo() {
        assertEquals(2, run("--bogus"));
        String first = err.toString().lines().findFirst().orElseThrow();
        assertEquals("socklab: Unknown option: '--bogus'", first);
        assertTrue(err.toString().contains("Usage: socklab"));
    }

    @Test
    void unknownCommandAndNoCommandExitTwo() {
        assertEquals(2, run("frobnicate"));
        assertTrue(err.toString().lines().findFirst().orElseThrow().contains("frobnicate"), err.toString());
        assertEquals(2, run());
        assertTrue(err.toString().contains("Missing command"), err.toString());
    }
}
