package socklab.kernel;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Records, every {@code interval} during a run, the accept-queue length and backlog of each listening
 * socket on a port, with one sock_diag dump per tick on a thread of its own, and attributes each
 * socket to the worker that owns it.
 *
 * <p>Attribution: the caller passes labels by socket inode ({@link #start}), or by its own listening
 * descriptors ({@link #labelsByFd}), which is what a server knows about its workers. A socket with no
 * label (another process's, or a worker the caller did not name) is labelled with its owner as
 * {@code ss -p} would print it, found once per socket through /proc, else with its inode.
 *
 * <p>Ticks are at a fixed rate; each sample carries the time its dump was actually taken, so a
 * late tick shows as such rather than being smoothed over.
 */
public final class QueueSampler implements AutoCloseable {
    private final int port;
    private final Duration interval;
    private final Map<Long, String> labels;
    private final ProcFs proc;
    private final List<QueueSample> samples = new ArrayList<>();
    private final ScheduledExecutorService ticker;
    private final Instant startedAt;
    private final long startNanos;
    private final NetCounters.Snapshot countersAtStart;
    private final SockDiag diag;
    private volatile RuntimeException failure;
    private QueueSeries series;

    private QueueSampler(int port, Duration interval, Map<Long, String> labels, ProcFs proc) {
        this.port = port;
        this.interval = interval;
        this.labels = new HashMap<>(labels);
        this.proc = proc;
        this.countersAtStart = NetCounters.read(proc);
        this.diag = SockDiag.open();
        this.startedAt = Instant.now();
        this.startNanos = System.nanoTime();
        this.ticker = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "socklab-queue-sampler-" + port);
            thread.setDaemon(true);
            return thread;
        });
        ticker.scheduleAtFixedRate(this::tick, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Starts sampling the listening sockets on {@code port} every {@code interval} (at least 1 ms),
     * labelling sockets by inode with {@code labelsByInode} (may be empty).
     */
    public static QueueSampler start(int port, Duration interval, Map<Long, String> labelsByInode) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is out of range 1..65535");
        }
        if (interval.compareTo(Duration.ofMillis(1)) < 0) {
            throw new IllegalArgumentException("sampling interval " + interval.toMillis() + " ms is too short: give at least 1 ms");
        }
        return new QueueSampler(port, interval, labelsByInode, ProcFs.DEFAULT);
    }

    /** Labels by inode for this process's listening descriptors labelled by fd (fd -> worker name). */
    public static Map<Long, String> labelsByFd(Map<Integer, String> labelsByFd) {
        Map<Long, String> byInode = new HashMap<>();
        labelsByFd.forEach((fd, label) -> byInode.put(SocketOwners.inodeOf(ProcFs.DEFAULT, fd), label));
        return byInode;
    }

    private void tick() {
        try {
            List<TcpSocket> listeners = diag.listeners(port);
            double elapsedMs = Math.round((System.nanoTime() - startNanos) / 1e3) / 1e3; // ms, to the µs
            List<QueueSample> now = new ArrayList<>(listeners.size());
            for (TcpSocket socket : listeners) {
                now.add(new QueueSample(elapsedMs, label(socket.inode()), socket.inode(), socket.localText(),
                        socket.recvQ(), socket.sendQ()));
            }
            synchronized (samples) {
                samples.addAll(now);
            }
        } catch (RuntimeException e) {
            failure = e;
            throw e; // stops the schedule; stop() reports it
        }
    }

    /** The caller's label, else the owner process (looked up once per socket), else the inode. */
    private String label(long inode) {
        return labels.computeIfAbsent(inode, k -> {
            List<SocketOwner> owners = SocketOwners.find(proc, Set.of(k)).getOrDefault(k, List.of());
            return owners.isEmpty() ? "inode " + k : owners.getFirst().toString();
        });
    }

    /** The System.nanoTime() every sample's elapsedMs counts from, so callers can put their own events on the same clock. */
    public long startNanos() {
        return startNanos;
    }

    /** The samples so far (a copy), while the sampler runs. */
    public List<QueueSample> samples() {
        synchronized (samples) {
            return List.copyOf(samples);
        }
    }

    /**
     * Stops sampling and returns the series. If a dump failed during the run, throws that failure:
     * a series with a silent gap would misreport the run.
     */
    public QueueSeries stop() {
        if (series == null) {
            ticker.shutdownNow();
            try {
                if (!ticker.awaitTermination(10, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the queue sampler of port " + port + " did not stop within 10 s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while stopping the queue sampler", e);
            } finally {
                diag.close();
            }
            NetCounters.Delta counters = countersAtStart.to(NetCounters.read(proc));
            series = new QueueSeries(port, interval.toMillis(), startedAt.toString(), countersAtStart.netns(), samples(), counters.tcp());
        }
        if (failure != null) {
            throw new IllegalStateException("queue sampling of port " + port + " failed: " + failure.getMessage(), failure);
        }
        return series;
    }

    @Override
    public void close() {
        stop();
    }
}
