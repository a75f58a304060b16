package socklab.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The one place where socklab meets libc through the Foreign Function &amp; Memory API: the linker,
 * symbol lookup, downcall-handle construction, and the per-thread errno capture segment.
 *
 * <p>Every downcall that can fail is built with {@code Linker.Option.captureCallState("errno")}: the
 * linker copies errno into a small segment right after the native call returns, before the JVM can
 * run anything that might clobber it (GC, safepoint polls, other downcalls). The segment is per
 * thread and allocated once, so a call costs no allocation. Callers follow one convention:
 * a native result {@code >= 0} is returned as is, a failure as {@code -errno}.
 */
public final class Libc {
    private Libc() {}

    static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();

    static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;
    static final ValueLayout.OfLong C_LONG = ValueLayout.JAVA_LONG;
    static final ValueLayout.OfLong C_SIZE_T = ValueLayout.JAVA_LONG;
    static final ValueLayout.OfLong C_SSIZE_T = ValueLayout.JAVA_LONG;
    static final java.lang.foreign.AddressLayout C_POINTER = ValueLayout.ADDRESS;

    /** The capture-state layout the linker fills; we only ask for errno. */
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle CAPTURED_ERRNO =
            CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    /**
     * One capture segment per thread. It lives in an automatic arena: it is reclaimed when its thread
     * (and so the ThreadLocal entry) is gone, so short-lived threads do not leak native memory.
     */
    private static final ThreadLocal<MemorySegment> CALL_STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

    /** The calling thread's capture segment; pass it as the first argument of an errno-capturing handle. */
    static MemorySegment callState() {
        return CALL_STATE.get();
    }

    /** errno as the last capturing downcall on this thread left it in {@code state}. */
    static int errno(MemorySegment state) {
        return (int) CAPTURED_ERRNO.get(state, 0L);
    }

    /**
     * A downcall handle whose first parameter is the capture segment; errno lands there.
     * Built once per symbol, stored in a {@code static final} field, called with invokeExact.
     */
    static MethodHandle withErrno(String symbol, FunctionDescriptor descriptor, Linker.Option... more) {
        Linker.Option[] options = java.util.Arrays.copyOf(more, more.length + 1);
        options[more.length] = CAPTURE_ERRNO;
        return LINKER.downcallHandle(find(symbol), descriptor, options);
    }

    /** A downcall handle for a function that cannot fail (getpid) or reports failure by its result. */
    static MethodHandle plain(String symbol, FunctionDescriptor descriptor, Linker.Option... options) {
        return LINKER.downcallHandle(find(symbol), descriptor, options);
    }

    private static MemorySegment find(String symbol) {
        return LIBC.find(symbol).orElseThrow(
                () -> new UnsupportedOperationException("libc has no symbol " + symbol + ": this needs glibc on Linux"));
    }

    // getpid(2): the trivial syscall the benchmarks use as the floor of a downcall.
    private static final MethodHandle GETPID = plain("getpid", FunctionDescriptor.of(C_INT));

    /** getpid(2) through FFM; cannot fail. */
    public static int getpid() {
        try {
            return (int) GETPID.invokeExact();
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }

    // glibc >= 2.32: thread-safe, no buffer, never NULL for a known errno.
    private static final MethodHandle STRERRORNAME_NP =
            plain("strerrorname_np", FunctionDescriptor.of(C_POINTER, C_INT));
    private static final MethodHandle STRERRORDESC_NP =
            plain("strerrordesc_np", FunctionDescriptor.of(C_POINTER, C_INT));

    /** The errno's symbol as the C headers spell it ({@code EADDRINUSE}), or {@code errno N} when unknown. */
    public static String errnoName(int errno) {
        return cString(STRERRORNAME_NP, errno, "errno " + errno);
    }

    /** The C library's description of the errno ({@code Address already in use}). */
    public static String errnoText(int errno) {
        return cString(STRERRORDESC_NP, errno, "Unknown error " + errno);
    }

    private static String cString(MethodHandle handle, int errno, String fallback) {
        try {
            MemorySegment p = (MemorySegment) handle.invokeExact(errno);
            return p.equals(MemorySegment.NULL) ? fallback : p.reinterpret(Long.MAX_VALUE).getString(0);
        } catch (Throwable t) {
            throw Errors.unexpected(t);
        }
    }
}
