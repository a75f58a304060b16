package socklab.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

/** {@code socklab version}: socklab's version and git SHA, the JDK, and the kernel it runs on. */
@Command(name = "version", description = "Print socklab's version, git SHA, JDK and kernel.")
public final class VersionCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        lines().forEach(spec.commandLine().getOut()::println);
    }

    static List<String> lines() {
        Properties build = build();
        return List.of(
                "socklab " + build.getProperty("version", "unknown") + " (git " + build.getProperty("git.sha", "unknown") + ")",
                "jdk     " + System.getProperty("java.vm.vendor") + " " + Runtime.version() + " (" + System.getProperty("java.home") + ")",
                "kernel  " + kernel());
    }

    /** The git SHA the jar was built from ("unknown" when Maven ran without the Makefile): result names carry it. */
    static String gitSha() {
        return build().getProperty("git.sha", "unknown");
    }

    private static Properties build() {
        Properties build = new Properties();
        try (InputStream in = VersionCommand.class.getResourceAsStream("/socklab/version.properties")) {
            if (in != null) {
                build.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading socklab/version.properties from the jar", e);
        }
        return build;
    }

    private static String kernel() {
        try {
            return "Linux " + Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim() + " " + System.getProperty("os.arch");
        } catch (IOException e) {
            return System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch");
        }
    }

    /** Lets {@code socklab --version} print the same lines. */
    public static final class Provider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return lines().toArray(String[]::new);
        }
    }
}
