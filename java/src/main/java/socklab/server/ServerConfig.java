package socklab.server;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.function.Function;
import java.util.stream.Collectors;

import socklab.http.HttpLimits;
import socklab.sys.Binding;

/**
 * Everything a server is started with; the {@code serve} options map one to one onto it.
 *
 * @param model   the architecture
 * @param workers worker threads (1 for {@link Model#SINGLE}, which has one thread by definition)
 * @param host    an IP literal to listen on; no name lookup, so an experiment binds what it says
 * @param port    0 lets the kernel pick one ({@link Server#address()} tells which)
 * @param backlog listen(2) backlog; the kernel caps it at net.core.somaxconn
 * @param binding how Java reaches libc: one of {@link Binding#NAMES}
 * @param accept  shared-accept only: who takes connections off the shared socket
 * @param steer   reuseport only: how the kernel picks a socket of the group
 * @param limits  HTTP limits and timeouts
 * @param queueAtStop what a stop does with connections waiting in the accept queues
 */
public record ServerConfig(Model model, int workers, String host, int port, int backlog, String binding,
                           AcceptMode accept, Steer steer, HttpLimits limits, QueueAtStop queueAtStop) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    /** nginx's default backlog on Linux (NGX_LISTEN_BACKLOG). */
    public static final int DEFAULT_BACKLOG = 511;
    /** nginx's default since 1.11.3: no accept mutex, EPOLLEXCLUSIVE. */
    public static final AcceptMode DEFAULT_ACCEPT = AcceptMode.EXCLUSIVE;
    public static final int MAX_WORKERS = 1024;

    public ServerConfig {
        if (workers < 1 || workers > MAX_WORKERS) {
            throw new IllegalArgumentException("--workers must be 1.." + MAX_WORKERS + ", got " + workers);
        }
        if (model == Model.SINGLE && workers != 1) {
            throw new IllegalArgumentException("--model single runs one thread: give --workers 1, or another --model");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be 0..65535 (0 picks a free one), got " + port);
        }
        if (backlog < 1) {
            throw new IllegalArgumentException("--backlog must be >= 1, got " + backlog);
        }
        Binding.byName(binding); // one line naming the known bindings
        ipLiteral(host);
    }

    /** The defaults for {@code model}: one worker per CPU (one for single), 127.0.0.1, port 0. */
    public static ServerConfig of(Model model) {
        int workers = model == Model.SINGLE ? 1 : Runtime.getRuntime().availableProcessors();
        return new ServerConfig(model, workers, DEFAULT_HOST, 0, DEFAULT_BACKLOG, Binding.NAMES.getFirst(),
                DEFAULT_ACCEPT, Steer.HASH, HttpLimits.DEFAULTS, QueueAtStop.DRAIN);
    }

    public ServerConfig withWorkers(int n) {
        return new ServerConfig(model, n, host, port, backlog, binding, accept, steer, limits, queueAtStop);
    }

    public ServerConfig withAddress(String newHost, int newPort) {
        return new ServerConfig(model, workers, newHost, newPort, backlog, binding, accept, steer, limits, queueAtStop);
    }

    public ServerConfig withBacklog(int n) {
        return new ServerConfig(model, workers, host, port, n, binding, accept, steer, limits, queueAtStop);
    }

    public ServerConfig withBinding(String name) {
        return new ServerConfig(model, workers, host, port, backlog, name, accept, steer, limits, queueAtStop);
    }

    public ServerConfig withAccept(AcceptMode mode) {
        return new ServerConfig(model, workers, host, port, backlog, binding, mode, steer, limits, queueAtStop);
    }

    public ServerConfig withSteer(Steer how) {
        return new ServerConfig(model, workers, host, port, backlog, binding, accept, how, limits, queueAtStop);
    }

    public ServerConfig withLimits(HttpLimits newLimits) {
        return new ServerConfig(model, workers, host, port, backlog, binding, accept, steer, newLimits, queueAtStop);
    }

    public ServerConfig withQueueAtStop(QueueAtStop what) {
        return new ServerConfig(model, workers, host, port, backlog, binding, accept, steer, limits, what);
    }

    /** The address to bind. */
    public InetSocketAddress address() {
        return new InetSocketAddress(ipLiteral(host), port);
    }

    /** {@code model=shared-accept accept=mutex workers=4 binding=ffm}: the model's parameters in one phrase. */
    public String describe() {
        String variant = switch (model) {
            case SHARED_ACCEPT -> " accept=" + accept.cliName();
            case REUSEPORT -> " steer=" + steer.cliName();
            default -> "";
        };
        return "model=" + model.cliName() + variant + " workers=" + workers + " binding=" + binding
                + (queueAtStop == QueueAtStop.DRAIN ? "" : " accept-queue-at-stop=" + queueAtStop.cliName());
    }

    private static InetAddress ipLiteral(String host) {
        try {
            return InetAddress.ofLiteral(host);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--host must be an IP address such as 127.0.0.1 or ::1, not '" + host + "'");
        }
    }

    /** The constant of {@code values} whose CLI name is {@code name}, or one line listing the names. */
    static <E> E byCliName(E[] values, Function<E, String> cliName, String kind, String name) {
        return Arrays.stream(values).filter(v -> cliName.apply(v).equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown " + kind + " '" + name + "': choose one of "
                        + Arrays.stream(values).map(cliName).collect(Collectors.joining(", "))));
    }
}
