package socklab.experiment;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of another socklab JVM: the same java binary, the same JVM flags (those of
 * jvm.options, as this JVM got them) and the same class path as this process, running the CLI with
 * {@code cliArgs}. Started through ProcessBuilder (an argv, never a shell).
 */
public final class SocklabJvm {
    private SocklabJvm() {}

    /** Flags of this JVM that must not be copied: a second debugger or agent on the same port would fail. */
    private static final List<String> NOT_INHERITED = List.of("-agentlib:", "-javaagent:", "-Xrunjdwp", "-Xdebug");

    public static List<String> command(List<String> cliArgs) {
        return command(List.of(), cliArgs);
    }

    /** As {@link #command(List)}, with {@code jvmFlags} after this JVM's own. */
    public static List<String> command(List<String> jvmFlags, List<String> cliArgs) {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command()
                .orElseThrow(() -> new IllegalStateException("cannot tell which java binary runs this JVM")));
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(flag -> NOT_INHERITED.stream().noneMatch(flag::startsWith))
                .forEach(command::add);
        command.addAll(jvmFlags);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "socklab.cli.Main"));
        command.addAll(cliArgs);
        return command;
    }
}
