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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Test helpers for raw sockets on loopback, and for reading what ss and /proc say about them. Public
 * for the tests of other packages (socklab.kernel, socklab.cli).
 */
public final class Loopback {
    private Loopback() {}

    public static final InetAddress V4 = InetAddress.getLoopbackAddress();
    public static final InetAddress V6;

    static {
        try {
            V6 = InetAddress.getByName("::1");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The default binding: what the shorthands without a binding use (tests of FFM-only calls). */
    private static final Binding FFM = Binding.byName("ffm");

    /**
     * Every binding, by the names {@link Binding#NAMES} lists: the source of the contract tests
     * ({@code @MethodSource("socklab.sys.Loopback#bindings")}); each displays as its name.
     */
    static Stream<Binding> bindings() {
        return Binding.NAMES.stream().map(Binding::byName);
    }

    /** A listening socket on {@code ip}, kernel-chosen port. */
    public static int listen(Binding binding, InetAddress ip, int backlog, int flags, SocketOption... options) {
        return binding.listenTcp(new InetSocketAddress(ip, 0), backlog, flags | Sockets.SOCK_CLOEXEC, options);
    }

    /** {@link #listen(Binding, InetAddress, int, int, SocketOption...)} through FFM. */
    public static int listen(InetAddress ip, int backlog, int flags, SocketOption... options) {
        return listen(FFM, ip, backlog, flags, options);
    }

    /** A TCP socket of {@code family} (AF_INET or AF_INET6) with {@code flags} added to SOCK_STREAM. */
    static int tcpSocket(Binding binding, int family, int flags) {
        return binding.socket(family, Sockets.SOCK_STREAM | flags, Sockets.IPPROTO_TCP);
    }

    /** A blocking client connected to {@code address}; returns once the handshake is done. */
    public static int connect(Binding binding, InetSocketAddress address) {
        int fd = tcpSocket(binding, SockAddr.family(address.getAddress()), Sockets.SOCK_CLOEXEC);
        binding.connect(fd, address);
        return fd;
    }

    /** {@link #connect(Binding, InetSocketAddress)} through FFM. */
    public static int connect(InetSocketAddress address) {
        return connect(FFM, address);
    }

    /** Writes all of {@code text}, blocking. */
    public static void writeAll(Binding binding, int fd, String text) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocateFrom(text, StandardCharsets.UTF_8);
            buf = buf.asSlice(0, buf.byteSize() - 1); // without the NUL allocateFrom adds
            while (buf.byteSize() > 0) {
                long n = binding.write(fd, buf);
                buf = buf.asSlice(n);
            }
        }
    }

    /** {@link #writeAll(Binding, int, String)} through FFM. */
    public static void writeAll(int fd, String text) {
        writeAll(FFM, fd, text);
    }

    /** Reads exactly {@code length} bytes, blocking. */
    static String readExactly(Binding binding, int fd, int length) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(length);
            long got = 0;
            while (got < length) {
                long n = binding.read(fd, buf.asSlice(got));
                if (n == 0) {
                    throw new AssertionError("end of stream after " + got + " of " + length + " bytes");
                }
                got += n;
            }
            return new String(buf.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        }
    }

    /** {@link #readExactly(Binding, int, int)} through FFM. */
    public static String readExactly(int fd, int length) {
        return readExactly(FFM, fd, length);
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

    /** One row of {@code ss -ltneH}: the listening socket's Recv-Q, Send-Q, address and inode. */
    public record SsListener(long recvQ, long sendQ, String local, long inode) {}

    private static final Pattern SS_INODE = Pattern.compile("\\bino:(\\d+)\\b");

    /** The listening sockets {@code ss -ltneH} shows on {@code port}, parsed. */
    public static List<SsListener> ssListeners(int port) {
        List<SsListener> rows = new ArrayList<>();
        for (String line : run("ss", "-ltneH", "sport = :" + port)) {
            String[] f = line.trim().split("\\s+");
            // State Recv-Q Send-Q Local:Port Peer:Port, then -e's details: ino:N sk:… cgroup:…
            Matcher inode = SS_INODE.matcher(line);
            if (!inode.find()) {
                throw new AssertionError("ss -e printed no ino: field in: " + line);
            }
            rows.add(new SsListener(Long.parseLong(f[1]), Long.parseLong(f[2]), f[3], Long.parseLong(inode.group(1))));
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
