package socklab.kernel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Where procfs is mounted: {@code /proc} in production, a directory a test builds otherwise. Files
 * under {@code net/} are the network namespace of the process that reads them ({@code /proc/net}
 * links to {@code /proc/self/net}).
 */
public record ProcFs(Path root) {
    public static final ProcFs DEFAULT = new ProcFs(Path.of("/proc"));

    /** The file {@code relative} (e.g. {@code net/netstat}) under the root. */
    public Path resolve(String relative) {
        return root.resolve(relative);
    }

    /**
     * The whole of file {@code relative}; a missing or unreadable file gives one message naming the
     * file, the cause and what reads it.
     */
    public String read(String relative, String purpose) {
        Path file = resolve(relative);
        try {
            return Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new UncheckedIOException(file + " is missing: " + purpose + " come from it (is procfs mounted at " + root + "?)", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + " (" + e.getMessage() + "): " + purpose + " come from it", e);
        }
    }

    /**
     * The fields of {@code <process>/stat} ({@code 1234}, {@code self}, {@code self/task/5678}), indexed
     * as proc(5) numbers them: [3] the state letter, [4] the parent's pid, [14] and [15] utime and stime,
     * [16] and [17] cutime and cstime, in clock ticks. Field 2, the command, may hold spaces and
     * parentheses, so the fields are split after its last ')'; [0] to [2] are left empty.
     */
    public String[] stat(String process) {
        String stat = read(process + "/stat", "process states and CPU times");
        String[] afterCommand = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        String[] fields = new String[afterCommand.length + 3];
        Arrays.fill(fields, 0, 3, "");
        System.arraycopy(afterCommand, 0, fields, 3, afterCommand.length);
        return fields;
    }

    /**
     * The network namespace this process is in, as the kernel names it: {@code net:[4026531840]}.
     * Per-namespace figures (counters, sockets) are labelled with it; "unknown" when procfs has no ns/ links.
     */
    public String networkNamespace() {
        try {
            return Files.readSymbolicLink(resolve("self/ns/net")).toString();
        } catch (IOException | UnsupportedOperationException e) {
            return "unknown";
        }
    }
}
