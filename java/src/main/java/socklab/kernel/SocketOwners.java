package socklab.kernel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which processes hold a socket, found as {@code ss -p} finds them: every {@code /proc/PID/fd/N}
 * link that reads {@code socket:[INODE]}. sock_diag reports the inode, not the owner, and a socket
 * may be held by several processes (a listener inherited across fork) or none (a connection not yet
 * accepted has inode 0 and no file).
 */
public final class SocketOwners {
    private SocketOwners() {}

    /**
     * For each of {@code inodes} that some process holds, its owners. Processes that exit during the
     * scan, and those whose fd directory this user may not read, are skipped, as ss skips them.
     */
    public static Map<Long, List<SocketOwner>> find(ProcFs proc, Set<Long> inodes) {
        Map<Long, List<SocketOwner>> owners = new HashMap<>();
        if (inodes.isEmpty()) {
            return owners;
        }
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(proc.root(), SocketOwners::isProcess)) {
            for (Path process : processes) {
                scan(process, inodes, owners);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + proc.root() + " (" + e.getMessage() + "): socket owners come from its PID/fd links", e);
        }
        return owners;
    }

    private static boolean isProcess(Path path) {
        String name = path.getFileName().toString();
        return !name.isEmpty() && name.chars().allMatch(Character::isDigit);
    }

    private static void scan(Path process, Set<Long> inodes, Map<Long, List<SocketOwner>> owners) {
        long pid = Long.parseLong(process.getFileName().toString());
        String command = null;
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(process.resolve("fd"))) {
            for (Path fd : fds) {
                long inode = socketInode(readLink(fd));
                if (inode > 0 && inodes.contains(inode)) {
                    if (command == null) {
                        command = command(process);
                    }
                    int number = Integer.parseInt(fd.getFileName().toString());
                    owners.computeIfAbsent(inode, k -> new ArrayList<>()).add(new SocketOwner(pid, command, number));
                }
            }
        } catch (IOException e) {
            // the process exited, or its fds are not ours to read: skipped, as ss -p does
        }
    }

    private static String readLink(Path link) {
        try {
            return Files.readSymbolicLink(link).toString();
        } catch (IOException e) {
            return ""; // the descriptor was closed during the scan
        }
    }

    private static String command(Path process) {
        try {
            return Files.readString(process.resolve("comm")).strip();
        } catch (IOException e) {
            return "?";
        }
    }

    /** The inode named by a link target {@code socket:[123]}, or -1 when the target is not a socket. */
    static long socketInode(String target) {
        if (!target.startsWith("socket:[") || !target.endsWith("]")) {
            return -1;
        }
        try {
            return Long.parseLong(target, "socket:[".length(), target.length() - 1, 10);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The socket inode of this process's descriptor {@code fd}; fails naming the fd when it is not an open socket. */
    public static long inodeOf(ProcFs proc, int fd) {
        Path link = proc.resolve("self/fd/" + fd);
        String target;
        try {
            target = Files.readSymbolicLink(link).toString();
        } catch (IOException e) {
            throw new UncheckedIOException("fd " + fd + " is not open in this process (" + link + ": " + e.getMessage() + ")", e);
        }
        long inode = socketInode(target);
        if (inode < 0) {
            throw new IllegalArgumentException("fd " + fd + " is not a socket: it refers to " + target);
        }
        return inode;
    }
}
