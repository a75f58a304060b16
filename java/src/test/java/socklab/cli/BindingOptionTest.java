package socklab.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** --binding as any socklab command gets it from the mixin, run through Main's error handling. */
class BindingOptionTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    /** A command that only reports the binding it was given, as a real one would use it. */
    @Command(name = "which-binding")
    static final class WhichBinding implements Runnable {
        @Mixin
        BindingOption binding;
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().getOut().println(binding.get().name() + " pid " + binding.get().getpid());
        }
    }

    private int run(String... args) {
        CommandLine cli = Main.commandLine().addSubcommand(new WhichBinding());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        return cli.execute(args);
    }

    @Test
    void eachNameSelectsThatBindingAndFfmIsTheDefault() {
        long pid = ProcessHandle.current().pid();
        assertEquals(0, run("which-binding"));
        assertEquals(0, run("which-binding", "--binding", "jni"));
        assertEquals(0, run("which-binding", "--binding=jnr"));
        assertEquals(0, run("which-binding", "--binding", "ffm"));
        assertEquals("ffm pid " + pid + "\njni pid " + pid + "\njnr pid " + pid + "\nffm pid " + pid + "\n", out.toString());
    }

    @Test
    void anUnknownBindingIsOneLineListingTheThreeThenUsageAndExitTwo() {
        assertEquals(2, run("which-binding", "--binding", "panama"));
        String first = err.toString().lines().findFirst().orElseThrow();
        assertEquals("socklab: Invalid value for option '--binding': unknown binding 'panama': choose one of ffm, jni, jnr", first);
        assertTrue(err.toString().contains("--binding=ffm|jni|jnr"), err.toString());
    }
}
