package socklab.sys;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Test helpers for raw sockets on loopback, and for reading what ss and /proc say about them. */
public final class Loopback {
    private Loopback() {}

    static final InetAddress V4 = InetAddress.getLoopbackAddress();
    static final InetAddress V6;

    static {
        try {
            V6 = InetAddress.getByName("::1");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A listening socket on {@code ip}, kernel-chosen port. */
    static int listen(InetAddress ip, int backlog, int flags, SocketOption... options) {
        return Sockets.listenTcp(new InetSocketAddress(ip, 0), backlog, flags | Sockets.SOCK_CLOEXEC, options);
    }

    /** A blocking client connected to {@code address}; returns once the handshake is done. */
    static int connect(InetSocketAddress address) {
        int fd = Sockets.tcpSocket(SockAddr.family(address.getAddress()), Sockets.SOCK_CLOEXEC);
        Sockets.connect(fd, address);
        return fd;
    }

    /** Writes all of {@code text}, blocking. */
    static void writeAll(int fd, String text) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocateFrom(text, StandardCharsets.UTF_8);
            buf = buf.asSlice(0, buf.byteSize() - 1); // without the NUL allocateFrom adds
            while (buf.byteSize() > 0) {
                long n = Fd.write(fd, buf);
                buf = buf.asSlice(n);
            }
        }
    }

    /** Reads exactly {@code length} bytes, blocking. */
    static String readExactly(int fd, int length) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(length);
            long got = 0;
            while (got < length) {
                long n = Fd.read(fd, buf.asSlice(got));
                if (n == 0) {
                    throw new AssertionError("end of stream after " + got + " of " + length + " bytes");
                }
                got += n;
            }
            return new String(buf.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        }
    }

    /** Number of open sockets, epoll instances and eventfds of this process. */
    static int openDescriptors() {
        try (var entries = Files.list(Path.of("/proc/self/fd"))) {
            return (int) entries.filter(Loopback::isSocketOrEventDescriptor).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Sockets, epoll instances and eventfds: the kinds of descriptor socklab's code creates. Files and
     * pipes are left out because the JVM opens and closes them on its own threads (jar files, the
     * process reaper's pipes), which would make a count over all descriptors racy.
     */
    private static boolean isSocketOrEventDescriptor(Path fd) {
        try {
            String target = Files.readSymbolicLink(fd).toString();
            return target.startsWith("socket:") || target.equals("anon_inode:[eventpoll]") || target.equals("anon_inode:[eventfd]");
        } catch (IOException e) {
            return false; // closed between listing and reading: not open any more
        }
    }

    /** Waits up to {@code seconds} for {@code condition}; the waits in these tests are for kernel state, not luck. */
    public static boolean await(BooleanSupplier condition, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(10);
        }
        return condition.getAsBoolean();
    }

    /** One row of {@code ss -ltnH}: the listening socket's Recv-Q and Send-Q. */
    public record SsListener(long recvQ, long sendQ, String local) {}

    /** The listening sockets {@code ss -ltnH} shows on {@code port}, parsed. */
    public static List<SsListener> ssListeners(int port) {
        List<SsListener> rows = new ArrayList<>();
        for (String line : run("ss", "-ltnH", "sport = :" + port)) {
            String[] f = line.trim().split("\\s+");
            // State Recv-Q Send-Q Local:Port Peer:Port
            rows.add(new SsListener(Long.parseLong(f[1]), Long.parseLong(f[2]), f[3]));
        }
        return rows;
    }

    /** Runs a command and returns its non-empty output lines; fails the test when it fails. */
    public static List<String> run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError(String.join(" ", command) + " failed: " + out);
            }
            return out.lines().filter(l -> !l.isBlank()).toList();
        } catch (IOException e) {
            throw new AssertionError(command[0] + " could not run (is iproute2 installed?): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
