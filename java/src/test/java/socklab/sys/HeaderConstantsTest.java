package socklab.sys;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import socklab.kernel.InetDiag;

import java.io.IOException;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every constant, struct size and field offset of the FFM layer against native/build/sysconst, which
 * prints them from the system headers. Both directions: a Java constant the C program does not print
 * fails, and so does a C line with no Java counterpart.
 */
class HeaderConstantsTest {
    /** The classes whose public static final int fields are C constants. */
    private static final List<Class<?>> CONSTANT_CLASSES =
            List.of(Errno.class, Sockets.class, SockAddr.class, SocketOptions.class, Fd.class, Epoll.class, TcpInfo.class,
                    Netlink.class, InetDiag.class, ResourceLimits.class,
                    FdPassing.class, Processes.class, Membarrier.class);

    /** Every struct layout the layer passes to the kernel. */
    private static final List<MemoryLayout> LAYOUTS = List.of(
            SockAddr.SOCKADDR_IN, SockAddr.SOCKADDR_IN6, SockAddr.SOCKADDR_STORAGE, SocketOptions.LINGER,
            SocketOptions.SOCK_FILTER, SocketOptions.SOCK_FPROG, Fd.POLLFD, Epoll.EPOLL_EVENT, Epoll.TIMESPEC, TcpInfo.LAYOUT,
            Netlink.NLMSGHDR, Netlink.NLMSGERR, Netlink.NLATTR, Netlink.SOCKADDR_NL, InetDiag.INET_DIAG_SOCKID,
            InetDiag.INET_DIAG_REQ_V2, InetDiag.INET_DIAG_MSG, InetDiag.INET_DIAG_BC_OP, ResourceLimits.RLIMIT,
            FdPassing.IOVEC, FdPassing.MSGHDR, FdPassing.CMSGHDR);

    private static final Map<String, Long> C_CONSTANTS = new HashMap<>();
    private static final Map<String, Long> C_SIZES = new HashMap<>();
    private static final Map<String, Long> C_OFFSETS = new HashMap<>();

    @BeforeAll
    static void runHeaderPrinter() throws IOException, InterruptedException {
        Path printer = Path.of(System.getProperty("socklab.native.dir", "../native/build"), "sysconst");
        assertTrue(Files.isExecutable(printer), printer + " is missing: run the tests with 'make test' (it builds native/ first)");
        Process process = new ProcessBuilder(printer.toString()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "sysconst did not exit");
        assertEquals(0, process.exitValue(), "sysconst failed: " + output);
        for (String line : output.split("\n")) {
            String[] f = line.split(" ");
            switch (f[0]) {
                case "const" -> C_CONSTANTS.put(f[1], Long.parseLong(f[2]));
                case "size" -> C_SIZES.put(f[1], Long.parseLong(f[2]));
                case "offset" -> C_OFFSETS.put(f[1] + "." + f[2], Long.parseLong(f[3]));
                default -> throw new AssertionError("unexpected sysconst line: " + line);
            }
        }
        assertTrue(C_CONSTANTS.size() > 80 && C_OFFSETS.size() > 60, "sysconst printed too little: " + output);
    }

    @Test
    void everyJavaConstantEqualsTheHeaders() throws IllegalAccessException {
        Map<String, Long> java = new HashMap<>();
        for (Class<?> c : CONSTANT_CLASSES) {
            for (Field f : c.getDeclaredFields()) {
                int m = f.getModifiers();
                if (Modifier.isPublic(m) && Modifier.isStatic(m) && Modifier.isFinal(m) && f.getType() == int.class) {
                    java.put(c.getSimpleName() + "." + f.getName(), (long) f.getInt(null));
                }
            }
        }
        List<String> wrong = new ArrayList<>();
        for (var e : java.entrySet()) {
            Long c = C_CONSTANTS.get(e.getKey());
            if (c == null) {
                wrong.add(e.getKey() + " is not printed by sysconst");
            } else if (!c.equals(e.getValue())) {
                wrong.add(e.getKey() + " is " + e.getValue() + " in Java, " + c + " in the headers");
            }
        }
        for (String name : C_CONSTANTS.keySet()) {
            if (!java.containsKey(name)) {
                wrong.add(name + " is printed by sysconst but has no Java constant");
            }
        }
        assertTrue(wrong.isEmpty(), String.join("\n", new TreeSet<>(wrong)));
    }

    @Test
    void everyStructSizeAndOffsetEqualsTheHeaders() {
        List<String> wrong = new ArrayList<>();
        for (MemoryLayout layout : LAYOUTS) {
            String struct = layout.name().orElseThrow();
            Long size = C_SIZES.get(struct);
            if (size == null || size != layout.byteSize()) {
                wrong.add(struct + ": size " + layout.byteSize() + " in Java, " + size + " in the headers");
            }
            if (!(layout instanceof GroupLayout group)) {
                continue;
            }
            for (MemoryLayout member : group.memberLayouts()) {
                if (member instanceof PaddingLayout || member.name().orElseThrow().endsWith("_bits")) {
                    continue; // padding has no C name; *_bits bytes hold C bit-fields, which have no offsetof
                }
                String field = member.name().orElseThrow();
                long javaOffset = layout.byteOffset(groupElement(field));
                Long cOffset = C_OFFSETS.get(struct + "." + field);
                if (cOffset == null || cOffset != javaOffset) {
                    wrong.add(struct + "." + field + ": offset " + javaOffset + " in Java, " + cOffset + " in the headers");
                }
            }
        }
        for (String key : C_OFFSETS.keySet()) {
            String struct = key.substring(0, key.indexOf('.'));
            boolean known = LAYOUTS.stream().anyMatch(l -> l.name().orElseThrow().equals(struct)
                    && ((GroupLayout) l).memberLayouts().stream().anyMatch(m -> m.name().orElse("").equals(key.substring(struct.length() + 1))));
            if (!known) {
                wrong.add(key + " is printed by sysconst but is not a field of a Java layout");
            }
        }
        assertTrue(wrong.isEmpty(), String.join("\n", new TreeSet<>(wrong)));
    }

    @Test
    void socketOptionEnumUsesTheCheckedConstants() {
        for (SocketOption option : SocketOption.values()) {
            assertEquals(C_CONSTANTS.get("SocketOptions." + option.name()), (long) option.optname(), option.name());
        }
    }
}
