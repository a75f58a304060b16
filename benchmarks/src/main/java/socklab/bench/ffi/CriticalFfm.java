package socklab.bench.ffi;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * FFM downcalls with {@code Linker.Option.critical(false)}: the thread stays "in Java" for the call,
 * so the state transitions and the safepoint poll on return are skipped. The API allows it only for
 * calls that are short and never block (the JVM cannot reach a safepoint meanwhile), and this project
 * never combines it with errno capture: the caller sees -1 but not why.
 *
 * <p>So these are benchmark-only handles, not a binding: getpid (cannot fail), recv on a non-blocking
 * socket (in the benchmark -1 can only be EAGAIN, which a real binding could not assume), write and
 * read on a non-blocking socketpair, and epoll_wait with timeout 0. accept4 is left out: it allocates a
 * socket and a descriptor in the kernel, not "extremely short", and its failures (EMFILE) need errno.
 */
final class CriticalFfm {
    private CriticalFfm() {}

    private static final Linker LINKER = Linker.nativeLinker();

    private static final MethodHandle GETPID = critical("getpid", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle RECV =
            critical("recv", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle READ = critical("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE = critical("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle EPOLL_WAIT =
            critical("epoll_wait", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));

    private static MethodHandle critical(String symbol, FunctionDescriptor descriptor) {
        MemorySegment address = LINKER.defaultLookup().find(symbol).orElseThrow();
        return LINKER.downcallHandle(address, descriptor, Linker.Option.critical(false));
    }

    static int getpid() {
        try {
            return (int) GETPID.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static long recv(int fd, MemorySegment buf, int flags) {
        try {
            return (long) RECV.invokeExact(fd, buf, buf.byteSize(), flags);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static long read(int fd, MemorySegment buf) {
        try {
            return (long) READ.invokeExact(fd, buf, buf.byteSize());
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static long write(int fd, MemorySegment buf) {
        try {
            return (long) WRITE.invokeExact(fd, buf, buf.byteSize());
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static int epollWait(int epfd, MemorySegment events, int maxEvents) {
        try {
            return (int) EPOLL_WAIT.invokeExact(epfd, events, maxEvents, 0);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
