package socklab.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;

/**
 * IPv4 and IPv6 socket addresses in their C form. Port and address are in network byte order, as
 * the kernel stores them; the layouts say so with big-endian value layouts instead of byte swaps.
 */
public final class SockAddr {
    private SockAddr() {}

    public static final int AF_UNIX = 1;
    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;

    private static final ValueLayout.OfShort NET_SHORT = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN);

    /**
     * <pre>
     * struct sockaddr_in {
     *     sa_family_t    sin_family;   // AF_INET, host order
     *     in_port_t      sin_port;     // network order
     *     struct in_addr sin_addr;     // network order
     *     unsigned char  sin_zero[8];
     * };
     * </pre>
     */
    public static final StructLayout SOCKADDR_IN = MemoryLayout.structLayout(
            ValueLayout.JAVA_SHORT.withName("sin_family"),
            NET_SHORT.withName("sin_port"),
            MemoryLayout.sequenceLayout(4, ValueLayout.JAVA_BYTE).withName("sin_addr"),
            MemoryLayout.sequenceLayout(8, ValueLayout.JAVA_BYTE).withName("sin_zero")).withName("sockaddr_in");

    /**
     * <pre>
     * struct sockaddr_in6 {
     *     sa_family_t     sin6_family;   // AF_INET6
     *     in_port_t       sin6_port;     // network order
     *     uint32_t        sin6_flowinfo;
     *     struct in6_addr sin6_addr;     // 16 bytes, network order
     *     uint32_t        sin6_scope_id;
     * };
     * </pre>
     */
    public static final StructLayout SOCKADDR_IN6 = MemoryLayout.structLayout(
            ValueLayout.JAVA_SHORT.withName("sin6_family"),
            NET_SHORT.withName("sin6_port"),
            ValueLayout.JAVA_INT.withName("sin6_flowinfo"),
            MemoryLayout.sequenceLayout(16, ValueLayout.JAVA_BYTE).withName("sin6_addr"),
            ValueLayout.JAVA_INT.withName("sin6_scope_id")).withName("sockaddr_in6");

    /** {@code struct sockaddr_storage}: large and aligned enough for any address the kernel returns. */
    public static final MemoryLayout SOCKADDR_STORAGE =
            MemoryLayout.sequenceLayout(128, ValueLayout.JAVA_BYTE).withByteAlignment(8).withName("sockaddr_storage");

    private static final VarHandle IN_FAMILY = SOCKADDR_IN.varHandle(groupElement("sin_family"));
    private static final VarHandle IN_PORT = SOCKADDR_IN.varHandle(groupElement("sin_port"));
    private static final long IN_ADDR = SOCKADDR_IN.byteOffset(groupElement("sin_addr"));
    private static final VarHandle IN6_FAMILY = SOCKADDR_IN6.varHandle(groupElement("sin6_family"));
    private static final VarHandle IN6_PORT = SOCKADDR_IN6.varHandle(groupElement("sin6_port"));
    private static final VarHandle IN6_SCOPE = SOCKADDR_IN6.varHandle(groupElement("sin6_scope_id"));
    private static final long IN6_ADDR = SOCKADDR_IN6.byteOffset(groupElement("sin6_addr"));

    /** The address family of a Java address: AF_INET or AF_INET6. */
    public static int family(InetAddress address) {
        return address instanceof Inet6Address ? AF_INET6 : AF_INET;
    }

    /**
     * Writes {@code address} into {@code into} (at least {@link #SOCKADDR_STORAGE} bytes) and returns
     * the socklen_t to pass with it.
     */
    public static int write(InetSocketAddress address, MemorySegment into) {
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("unresolved address " + address + ": give an IP address");
        }
        InetAddress ip = address.getAddress();
        into.asSlice(0, SOCKADDR_IN6.byteSize()).fill((byte) 0);
        if (ip instanceof Inet4Address) {
            IN_FAMILY.set(into, 0L, (short) AF_INET);
            IN_PORT.set(into, 0L, (short) address.getPort());
            MemorySegment.copy(ip.getAddress(), 0, into, ValueLayout.JAVA_BYTE, IN_ADDR, 4);
            return (int) SOCKADDR_IN.byteSize();
        }
        IN6_FAMILY.set(into, 0L, (short) AF_INET6);
        IN6_PORT.set(into, 0L, (short) address.getPort());
        IN6_SCOPE.set(into, 0L, ((Inet6Address) ip).getScopeId());
        MemorySegment.copy(ip.getAddress(), 0, into, ValueLayout.JAVA_BYTE, IN6_ADDR, 16);
        return (int) SOCKADDR_IN6.byteSize();
    }

    /**
     * {@code address} encoded in a sockaddr allocated in {@code arena}, sized to exactly the C struct,
     * so that its byteSize is the socklen_t to pass with it.
     */
    public static MemorySegment allocate(Arena arena, InetSocketAddress address) {
        MemorySegment storage = arena.allocate(SOCKADDR_STORAGE);
        return storage.asSlice(0, write(address, storage));
    }

    /** Reads an AF_INET or AF_INET6 address the kernel wrote into {@code from}. */
    public static InetSocketAddress read(MemorySegment from) {
        int family = (short) IN_FAMILY.get(from, 0L);
        try {
            if (family == AF_INET) {
                byte[] ip = from.asSlice(IN_ADDR, 4).toArray(ValueLayout.JAVA_BYTE);
                return new InetSocketAddress(InetAddress.getByAddress(ip), Short.toUnsignedInt((short) IN_PORT.get(from, 0L)));
            }
            if (family == AF_INET6) {
                byte[] ip = from.asSlice(IN6_ADDR, 16).toArray(ValueLayout.JAVA_BYTE);
                int scope = (int) IN6_SCOPE.get(from, 0L);
                InetAddress address = scope == 0 ? InetAddress.getByAddress(ip) : Inet6Address.getByAddress(null, ip, scope);
                return new InetSocketAddress(address, Short.toUnsignedInt((short) IN6_PORT.get(from, 0L)));
            }
        } catch (UnknownHostException e) {
            throw new IllegalStateException("kernel returned a malformed address", e); // cannot happen: lengths are fixed
        }
        throw new IllegalArgumentException("not an IP socket address: family " + family);
    }

    /** {@code 127.0.0.1:8080} or {@code [::1]:8080}, as the error messages and ss print an address. */
    public static String format(InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        if (ip instanceof Inet6Address v6) {
            return "[" + ipv6Text(v6) + "]:" + address.getPort();
        }
        return (ip == null ? address.getHostString() : ip.getHostAddress()) + ":" + address.getPort();
    }

    /**
     * An IPv6 address in RFC 5952's short form, as ss and ip print it ({@code ::1}, {@code fe80::1%2}):
     * the longest run of two or more zero groups (the first of equal runs) becomes {@code ::}. Java's
     * getHostAddress prints every group ({@code 0:0:0:0:0:0:0:1}).
     */
    private static String ipv6Text(Inet6Address ip) {
        byte[] b = ip.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = (b[2 * i] & 0xff) << 8 | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1, bestLength = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = Math.max(j, i + 1);
        }
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                text.append("::");
                i += bestLength - 1;
            } else {
                if (!text.isEmpty() && text.charAt(text.length() - 1) != ':') {
                    text.append(':');
                }
                text.append(Integer.toHexString(groups[i]));
            }
        }
        return ip.getScopeId() == 0 ? text.toString() : text + "%" + ip.getScopeId();
    }
}
