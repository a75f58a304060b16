package socklab.peers;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One server of the side-by-side run: its id in the table ({@code socklab-reuseport}, {@code nginx-2w-reuseport}),
 * what it is, and the arguments that select its form. {@link PeerProcess} starts it.
 *
 * @param id      the row name; also what {@code --servers} selects
 * @param family  which program serves
 * @param workers threads or processes serving connections (Netty's boss loop not counted)
 * @param args    the family's arguments for this form
 * @param about   one line for the table's legend
 */
record Peer(String id, Family family, int workers, List<String> args, String about) {

    /** The programs compared, with what to run when one is missing. */
    enum Family {
        SOCKLAB("socklab", null),
        C("C epoll server (native/cserver)", "make native"),
        NETTY("Netty (native epoll transport)", null),
        NIO("JDK NIO (one Selector per thread)", null),
        NGINX("nginx (Debian)", "apt-get install -y nginx");

        final String label;
        /** The command that makes a missing program available; null when it ships with socklab-peers. */
        final String install;

        Family(String label, String install) {
            this.label = label;
            this.install = install;
        }
    }

    /** socklab's best-known shapes and every peer, for {@code workers} threads or processes. */
    static List<Peer> all(int workers) {
        String w = Integer.toString(workers);
        return List.of(
                new Peer("socklab-single", Family.SOCKLAB, 1, List.of("--model", "single"),
                        "socklab serve --model single: one thread, one epoll loop"),
                new Peer("socklab-reuseport", Family.SOCKLAB, workers, List.of("--model", "reuseport", "--workers", w),
                        "socklab serve --model reuseport: a SO_REUSEPORT socket and epoll loop per worker"),
                new Peer("socklab-shared-accept", Family.SOCKLAB, workers, List.of("--model", "shared-accept", "--workers", w),
                        "socklab serve --model shared-accept: workers share one socket (EPOLLEXCLUSIVE)"),
                new Peer("socklab-acceptor-readers", Family.SOCKLAB, workers, List.of("--model", "acceptor-readers", "--workers", w),
                        "socklab serve --model acceptor-readers: one acceptor, connections handed to reader loops"),
                new Peer("c-single", Family.C, 1, List.of("--mode", "single"),
                        "cserver --mode single: one thread, one epoll loop"),
                new Peer("c-reuseport", Family.C, workers, List.of("--mode", "reuseport", "--workers", w),
                        "cserver --mode reuseport: a SO_REUSEPORT socket and epoll loop per thread"),
                new Peer("netty-boss-workers", Family.NETTY, workers, List.of("netty", "--mode", "boss-workers", "--workers", w),
                        "Netty epoll, HttpServerCodec: one boss loop accepts, worker loops serve"),
                new Peer("netty-reuseport", Family.NETTY, workers, List.of("netty", "--mode", "reuseport", "--workers", w),
                        "Netty epoll, HttpServerCodec: EpollChannelOption.SO_REUSEPORT, a listening socket per loop"),
                new Peer("nio-single", Family.NIO, 1, List.of("nio", "--mode", "single"),
                        "JDK NIO: one thread, one Selector"),
                new Peer("nio-reuseport", Family.NIO, workers, List.of("nio", "--mode", "reuseport", "--workers", w),
                        "JDK NIO: a Selector and a SO_REUSEPORT channel per thread"),
                new Peer("nginx-1w", Family.NGINX, 1, List.of(),
                        "nginx, worker_processes 1"),
                new Peer("nginx-" + w + "w-shared", Family.NGINX, workers, List.of(),
                        "nginx, worker_processes " + w + ", one listening socket (accept_mutex off: EPOLLEXCLUSIVE)"),
                new Peer("nginx-" + w + "w-reuseport", Family.NGINX, workers, List.of("reuseport"),
                        "nginx, worker_processes " + w + ", listen ... reuseport"));
    }

    /** The peers named in {@code ids} (comma-separated), in the order of {@link #all}; every name must exist. */
    static List<Peer> select(String ids, int workers) {
        List<Peer> all = all(workers);
        if (ids == null || ids.isBlank() || ids.equals("all")) {
            return all;
        }
        List<String> wanted = Arrays.stream(ids.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
        List<String> known = all.stream().map(Peer::id).toList();
        List<String> unknown = new ArrayList<>(wanted);
        unknown.removeAll(known);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("--servers: unknown " + String.join(", ", unknown) + "; known: "
                    + known.stream().collect(Collectors.joining(", ")));
        }
        return all.stream().filter(p -> wanted.contains(p.id())).toList();
    }

    /** nginx's listen directive takes {@code reuseport}; its other forms share one socket. */
    boolean reuseport() {
        return args.contains("reuseport");
    }
}
