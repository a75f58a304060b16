package socklab.load;

import socklab.sys.SockAddr;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What one load run does. Build it with {@link #builder}; {@link Builder#build} fills the defaults
 * and rejects a bad value with an {@link IllegalArgumentException} whose message is one line naming
 * the cause and the fix (the CLI prints it as a usage error).
 *
 * @param target        where to connect
 * @param hostHeader    the Host header, as the target was given ({@code 127.0.0.1:8080})
 * @param connections   keep-alive and conn-per-request: concurrent connections; storm: connects (M)
 * @param threads       event-loop threads; connections and rate are split evenly among them
 * @param duration      the measured window (zero for storm, which ends when every connect has settled)
 * @param warmup        load before the window whose results are counted apart and not reported as the run's
 * @param rate          requests per second in total; 0 = unpaced (closed loop)
 * @param paths         the request mix: each path with its weight, interleaved evenly
 * @param timeout       bound on each connect and on each response
 * @param connectOnly   storm only: connect and hold, send no request
 */
public record LoadConfig(InetSocketAddress target, String hostHeader, Mode mode, int connections, int threads,
                         Duration duration, Duration warmup, double rate, List<RequestPath> paths, Duration timeout,
                         boolean connectOnly) {

    public static final int DEFAULT_CONNECTIONS = 64;
    public static final Duration DEFAULT_DURATION = Duration.ofSeconds(10);
    public static final Duration DEFAULT_WARMUP = Duration.ofSeconds(1);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    static final int MAX_THREADS = 256;
    static final double MAX_RATE = 10_000_000;

    public LoadConfig {
        paths = List.copyOf(paths);
    }

    /** True when requests follow a schedule (open loop, or conn-per-request with a rate). */
    public boolean paced() {
        return rate > 0;
    }

    /** A builder for a run against {@code target} ({@code host:port}, {@code [v6]:port}). */
    public static Builder builder(String target) {
        return new Builder(target);
    }

    /**
     * Parses {@code host:port} or {@code [ipv6]:port} and resolves the host once. Names must resolve
     * (/etc/hosts or DNS); the generator then connects to that one address.
     */
    public static InetSocketAddress parseTarget(String target) {
        int colon = target.lastIndexOf(':');
        String host = colon > 0 ? target.substring(0, colon) : "";
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = colon > 0 ? Integer.parseInt(target.substring(colon + 1)) : -1;
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (host.isEmpty() || port < 1 || port > 65535) {
            throw new IllegalArgumentException("--target '" + target + "' must be host:port with a port 1-65535, e.g. 127.0.0.1:8080");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("--target host '" + host + "' does not resolve: give an IP address or a name in /etc/hosts");
        }
    }

    /** Collects the settings; unset ones get the defaults of their mode. */
    public static final class Builder {
        private final String target;
        private Mode mode = Mode.CLOSED;
        private Integer connections;
        private Integer threads;
        private Duration duration;
        private Duration warmup;
        private double rate;
        private final List<RequestPath> paths = new ArrayList<>();
        private Duration timeout;
        private boolean connectOnly;

        private Builder(String target) {
            this.target = target;
        }

        public Builder mode(Mode mode) {
            this.mode = mode;
            return this;
        }

        public Builder connections(int connections) {
            this.connections = connections;
            return this;
        }

        /** Event-loop threads; default half the processors (at least 1, at most the connections). */
        public Builder threads(int threads) {
            this.threads = threads;
            return this;
        }

        public Builder duration(Duration duration) {
            this.duration = duration;
            return this;
        }

        public Builder warmup(Duration warmup) {
            this.warmup = warmup;
            return this;
        }

        /** Requests per second in total (open loop; optional pacing for conn-per-request). */
        public Builder rate(double rate) {
            this.rate = rate;
            return this;
        }

        /** Adds a path to the mix with weight 1. */
        public Builder path(String path) {
            return path(new RequestPath(path, 1));
        }

        public Builder path(RequestPath path) {
            paths.add(path);
            return this;
        }

        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        public Builder connectOnly(boolean connectOnly) {
            this.connectOnly = connectOnly;
            return this;
        }

        public LoadConfig build() {
            boolean storm = mode == Mode.STORM;
            int c = connections == null ? DEFAULT_CONNECTIONS : connections;
            require(c >= 1, "--connections must be at least 1, got " + c);
            int t = threads == null ? Math.clamp(Runtime.getRuntime().availableProcessors() / 2, 1, Math.min(c, MAX_THREADS)) : threads;
            require(t >= 1 && t <= MAX_THREADS, "--threads must be 1-" + MAX_THREADS + ", got " + t);
            require(t <= c, "--threads " + t + " exceeds --connections " + c + ": every thread needs a connection; lower --threads");
            LoadGenerator.checkDescriptorBudget(c + t);

            require(!(storm && duration != null), "--duration does not apply to --mode storm: it ends when every connect has settled (bounded by --timeout)");
            Duration d = storm ? Duration.ZERO : duration == null ? DEFAULT_DURATION : duration;
            require(storm || (d.isPositive() && d.compareTo(Duration.ofDays(1)) <= 0), "--duration must be more than 0 and at most 1 day, got " + d);
            require(!(storm && warmup != null && !warmup.isZero()), "--warmup does not apply to --mode storm: every connect counts");
            Duration w = storm ? Duration.ZERO : warmup == null ? DEFAULT_WARMUP : warmup;
            require(!w.isNegative() && w.compareTo(Duration.ofDays(1)) <= 0, "--warmup must be 0 to 1 day, got " + w);
            Duration to = timeout == null ? DEFAULT_TIMEOUT : timeout;
            require(to.isPositive() && to.compareTo(Duration.ofHours(1)) <= 0, "--timeout must be more than 0 and at most 1 hour, got " + to);

            require(rate >= 0 && rate <= MAX_RATE && !Double.isNaN(rate), "--rate must be 0 to " + (long) MAX_RATE + " requests/s, got " + rate);
            require(mode != Mode.OPEN || rate > 0, "--mode open needs --rate (requests per second in total)");
            require(mode == Mode.OPEN || mode == Mode.CONN_PER_REQUEST || rate == 0,
                    "--rate does not apply to --mode " + mode + ": use --mode open (or conn-per-request) for a fixed rate");
            require(storm || !connectOnly, "--connect-only applies only to --mode storm");

            List<RequestPath> mix = paths.isEmpty() ? List.of(new RequestPath("/", 1)) : paths;
            RequestPath.checkMix(mix);
            InetSocketAddress address = parseTarget(target);
            String host = address.getAddress() instanceof java.net.Inet6Address && !target.startsWith("[")
                    ? SockAddr.format(address) : target;
            return new LoadConfig(address, host, mode, c, t, d, w, rate, mix, to, connectOnly);
        }

        private static void require(boolean ok, String message) {
            if (!ok) {
                throw new IllegalArgumentException(message);
            }
        }
    }
}
