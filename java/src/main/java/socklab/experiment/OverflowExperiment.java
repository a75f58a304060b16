package socklab.experiment;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Histogram;

import socklab.kernel.ListenerQueue;
import socklab.kernel.NetCounters;
import socklab.kernel.ProcFs;
import socklab.kernel.QueueSample;
import socklab.kernel.QueueSampler;
import socklab.kernel.QueueSeries;
import socklab.load.ErrorKind;
import socklab.load.LoadConfig;
import socklab.load.LoadGenerator;
import socklab.load.LoadResult;
import socklab.load.Mode;
import socklab.report.Charts;
import socklab.report.Finding;
import socklab.report.Finding.Verdict;
import socklab.report.Markdown;
import socklab.report.ReportSection;
import socklab.sys.Fd;
import socklab.sys.SocketOption;
import socklab.sys.Sockets;

/**
 * {@code overflow}: a full accept queue. A listening socket with a small backlog whose acceptor is
 * paused takes a storm of M connects: the queue fills to backlog + 1 and stays there, each further
 * handshake is dropped (ListenOverflows and ListenDrops rise), and the clients retransmit their SYNs
 * on the kernel's schedule (1 s, then 3 s, 7 s …). Then the acceptor resumes and drains the queue as
 * the retransmissions arrive; the client's connect latency shows the schedule as steps.
 */
public final class OverflowExperiment extends Experiment<OverflowExperiment.Result> {

    /** SYN retransmission times with the initial RTO of 1 s doubling: a connect finishing after the k-th lands in step k. */
    static final double[] RETRANSMIT_SECONDS = {0, 1, 3, 7, 15, 31, 63};

    /**
     * @param backlog            the backlog passed to listen(2)
     * @param sendQ              the backlog the kernel applied (Send-Q; listen caps it at net.core.somaxconn)
     * @param fullMs             when the queue was first seen full (TCP_INFO, polled every ms), ms after the storm started
     * @param pauseMs            when the acceptor resumed: the pause knob after the queue was full
     * @param recvQPinned        accept-queue length at the end of the pause, by TCP_INFO on the listener
     * @param recvQMaxSampled    the largest accept-queue length any sock_diag sample saw while paused
     * @param accepted           connections the acceptor took after it resumed, until every established one was
     *                           accepted or the timeout passed
     * @param steps              connects by the SYN attempt they finished after: "0 s", "1 s", "3 s", …
     * @param histogram          connect latency in bins {from ms, to ms, count}
     */
    public record Result(int backlog, long sendQ, int connects, double fullMs, double pauseMs, double timeoutMs, long recvQPinned,
                         long recvQMaxSampled, long established, Map<String, Long> connectErrors, long accepted,
                         LatencySummary connectLatency, Map<String, Long> steps, List<double[]> histogram,
                         long listenOverflows, long listenDrops, Map<String, Long> tcpCounterDeltas,
                         List<double[]> queue) {

        /** Connects that could not have been in the queue when it was pinned: each was dropped at least once. */
        public long droppedAtLeast() {
            return Math.max(0, connects - (backlog + 1L));
        }
    }

    public OverflowExperiment() {
        super("overflow", "Overflow: a full accept queue and the SYNs it drops",
                "A listening socket with a small backlog and a paused acceptor takes a storm of M connects (connect only). "
                + "The accept queue is read through TCP_INFO and sampled through sock_diag, the namespace's TcpExt counters "
                + "are read before and after, and each client's connect latency is measured. After the pause the acceptor "
                + "drains the queue as SYN retransmissions arrive.", Result.class);
    }

    @Override
    public List<Knob> knobs() {
        return List.of(
                Knob.count("backlog", "listen(2) backlog", 4, 4),
                Knob.count("connects", "connects in the storm", 50, 200),
                Knob.duration("pause", "how long the acceptor stays paused once the queue is full", "500ms", "2s"),
                Knob.duration("timeout", "how long a client waits for its connect", "4s", "8s"),
                Knob.duration("sample", "queue sampling interval", "10ms", "10ms"));
    }

    @Override
    public Map<String, String> fields() {
        return fields(
                "recv_q_pinned", "accept-queue length at the end of the pause, getsockopt(TCP_INFO) on the listener (tcpi_unacked)",
                "recv_q_max_sampled", "largest accept-queue length of the sock_diag samples during the pause (idiag_rqueue, ss Recv-Q)",
                "send_q", "the backlog in force, sock_diag idiag_wqueue (ss Send-Q)",
                "listen_overflows/listen_drops", "TcpExtListenOverflows and TcpExtListenDrops, /proc/net/netstat after minus before",
                "established", "connects the client saw complete (SYN-ACK received); a client whose final ACK the full queue "
                        + "dropped counts here too, while the server keeps it in SYN-RECV",
                "steps", "connects by latency band [t_k, t_k+1) with t = 0, 1, 3, 7 s: finished on the first SYN, or after the "
                        + "k-th retransmission",
                "histogram", "connect latency from connect(2) to the client's event loop seeing it complete, 100 ms bins",
                "queue", "[ms since the storm started, accept-queue length] from the sock_diag samples");
    }

    @Override
    public Result run(Params p, PrintWriter out) throws InterruptedException {
        int backlog = p.count("backlog");
        int connects = p.count("connects");
        Duration pause = p.duration("pause");
        Duration timeout = p.duration("timeout");
        int fd = Sockets.listenTcp(new InetSocketAddress("127.0.0.1", 0), backlog, Sockets.SOCK_CLOEXEC, SocketOption.SO_REUSEADDR);
        List<Integer> acceptedFds = new ArrayList<>();
        Thread acceptor = Thread.ofPlatform().name("overflow-acceptor").daemon().unstarted(() -> acceptAll(fd, acceptedFds));
        try {
            int port = Sockets.localAddress(fd).getPort();
            LoadConfig config = LoadConfig.builder("127.0.0.1:" + port).mode(Mode.STORM).connections(connects)
                    .connectOnly(true).timeout(timeout).build();
            NetCounters.Snapshot before = NetCounters.read(ProcFs.DEFAULT);
            QueueSampler sampler = QueueSampler.start(port, p.duration("sample"), QueueSampler.labelsByFd(Map.of(fd, "listener")));
            long t0 = System.nanoTime();
            CompletableFuture<LoadResult> storm = CompletableFuture.supplyAsync(() -> {
                try {
                    return LoadGenerator.run(config);
                } catch (InterruptedException e) {
                    throw new IllegalStateException("interrupted", e);
                }
            }, r -> Thread.ofPlatform().daemon().name("overflow-storm").start(r));
            // The pause counts from the moment the queue is full, however long the storm takes to fill it
            // (on a busy machine, the storm's threads may start late).
            long fullBy = System.nanoTime() + timeout.toNanos();
            while (ListenerQueue.of(fd).acceptQueue() <= backlog && System.nanoTime() < fullBy && !storm.isDone()) {
                TimeUnit.MILLISECONDS.sleep(1);
            }
            double fullMs = (System.nanoTime() - t0) / 1e6;
            TimeUnit.NANOSECONDS.sleep(pause.toNanos());
            long pinned = ListenerQueue.of(fd).acceptQueue();
            double pausedMs = (System.nanoTime() - t0) / 1e6;
            acceptor.start();
            LoadResult load;
            QueueSeries series;
            try {
                load = storm.get();
            } catch (ExecutionException e) {
                throw new IllegalStateException("the connect storm failed: " + e.getCause().getMessage(), e.getCause());
            } finally {
                series = sampler.stop();
            }
            // A client whose final ACK met a full queue counts itself connected while the server keeps it in
            // SYN-RECV until a SYN-ACK retransmission (1 s on): give those the time to reach the acceptor.
            long deadline = System.nanoTime() + timeout.toNanos();
            while (accepted(acceptedFds) < load.established() && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(5);
            }
            NetCounters.Delta delta = before.to(NetCounters.read(ProcFs.DEFAULT));
            Sockets.shutdown(fd, Sockets.SHUT_RDWR); // wakes the acceptor's accept4 with EINVAL
            acceptor.join();
            double sampleOffset = (sampler.startNanos() - t0) / 1e6;
            List<QueueSample> samples = series.samples();
            long maxPaused = samples.stream().filter(s -> s.elapsedMs() + sampleOffset <= pausedMs)
                    .mapToLong(QueueSample::acceptQueue).max().orElse(-1);
            long sendQ = samples.isEmpty() ? -1 : samples.getFirst().backlog();
            Map<String, Long> errors = new LinkedHashMap<>();
            load.connectErrors().forEach((kind, n) -> errors.put(kind.label(), n));
            Result r = new Result(backlog, sendQ, connects, round(fullMs), round(pausedMs), timeout.toMillis(), pinned, maxPaused,
                    load.established(), errors, accepted(acceptedFds), LatencySummary.of(load.connectLatency()),
                    steps(load.connectLatency(), load.connectErrors().getOrDefault(ErrorKind.CONNECT_TIMEOUT, 0L)),
                    bins(load.connectLatency(), timeout), delta.get("TcpExtListenOverflows"), delta.get("TcpExtListenDrops"),
                    delta.tcp(), samples.stream().map(s -> new double[] {round(s.elapsedMs() + sampleOffset), s.acceptQueue()}).toList());
            out.printf("  Recv-Q %d at the end of the pause (backlog %d), ListenOverflows +%d, ListenDrops +%d, %d of %d established%n",
                    pinned, backlog, r.listenOverflows, r.listenDrops, r.established, connects);
            return r;
        } finally {
            if (acceptor.isAlive()) {
                Sockets.shutdown(fd, Sockets.SHUT_RDWR);
                acceptor.join();
            }
            Fd.close(fd);
            acceptedFds.forEach(Fd::close);
        }
    }

    /** The acceptor, once resumed: takes every connection until the socket is shut down. */
    private static void acceptAll(int fd, List<Integer> into) {
        while (true) {
            int c;
            try {
                c = Sockets.accept(fd, Sockets.SOCK_CLOEXEC);
            } catch (RuntimeException e) {
                return; // EINVAL after shutdown: the run is over
            }
            synchronized (into) {
                into.add(c);
            }
        }
    }

    private static int accepted(List<Integer> fds) {
        synchronized (fds) {
            return fds.size();
        }
    }

    static Map<String, Long> steps(Histogram nanos, long timedOut) {
        Map<String, Long> steps = new LinkedHashMap<>();
        for (int k = 0; k + 1 < RETRANSMIT_SECONDS.length; k++) {
            long from = (long) (RETRANSMIT_SECONDS[k] * 1e9);
            long to = (long) (RETRANSMIT_SECONDS[k + 1] * 1e9);
            long n = nanos.getCountBetweenValues(from, to - 1);
            if (n > 0 || k < 3) {
                steps.put(Markdown.num(RETRANSMIT_SECONDS[k], 0) + " s", n);
            }
        }
        steps.put("timed out", timedOut);
        return steps;
    }

    private static List<double[]> bins(Histogram nanos, Duration timeout) {
        List<double[]> bins = new ArrayList<>();
        long width = 100_000_000L;
        for (long from = 0; from < timeout.toNanos(); from += width) {
            bins.add(new double[] {from / 1e6, (from + width) / 1e6, nanos.getCountBetweenValues(from, from + width - 1)});
        }
        return bins;
    }

    private static double round(double ms) {
        return Math.round(ms * 10) / 10.0;
    }

    @Override
    public Map<String, List<List<Object>>> csv(Result r) {
        List<List<Object>> queue = new ArrayList<>();
        queue.add(List.<Object>of("elapsed_ms", "accept_queue"));
        r.queue.forEach(pt -> queue.add(List.<Object>of(pt[0], (long) pt[1])));
        List<List<Object>> latency = new ArrayList<>();
        latency.add(List.<Object>of("from_ms", "to_ms", "connects"));
        r.histogram.forEach(b -> latency.add(List.<Object>of(b[0], b[1], (long) b[2])));
        return Map.of("queue", queue, "connect-latency", latency);
    }

    @Override
    public List<String> table(Result r) {
        return List.of(
                String.format("backlog %d (Send-Q %d): queue full at %.0f ms; Recv-Q %d when the acceptor resumed at %.0f ms "
                        + "(TCP_INFO), max %d sampled while paused (sock_diag)", r.backlog, r.sendQ, r.fullMs, r.recvQPinned,
                        r.pauseMs, r.recvQMaxSampled),
                String.format("%d connects: %d established, errors %s; acceptor took %d after resuming", r.connects, r.established,
                        r.connectErrors, r.accepted),
                String.format("TcpExtListenOverflows +%d, TcpExtListenDrops +%d (at least %d handshakes were dropped)",
                        r.listenOverflows, r.listenDrops, r.droppedAtLeast()),
                "connect latency by SYN attempt: " + r.steps + "; p50 " + r.connectLatency.p50() + " ms, max " + r.connectLatency.max() + " ms");
    }

    @Override
    public ReportSection report(Result r, Params p, Charts charts) {
        StringBuilder md = new StringBuilder();
        md.append(Markdown.table(List.of("measure", "value"), List.of(
                List.of("backlog given / in force (Send-Q)", r.backlog + " / " + r.sendQ),
                List.of("queue first full / acceptor resumed (ms after the storm started)", Markdown.num(r.fullMs, 0) + " / "
                        + Markdown.num(r.pauseMs, 0)),
                List.of("Recv-Q at the end of the pause (TCP_INFO)", Long.toString(r.recvQPinned)),
                List.of("largest Recv-Q sampled while paused (sock_diag)", Long.toString(r.recvQMaxSampled)),
                List.of("connects / established / failed", r.connects + " / " + r.established + " / " + r.connectErrors),
                List.of("TcpExtListenOverflows delta", Long.toString(r.listenOverflows)),
                List.of("TcpExtListenDrops delta", Long.toString(r.listenDrops)),
                List.of("handshakes that must have been dropped (connects − backlog − 1)", Long.toString(r.droppedAtLeast())),
                List.of("accepted after the pause", Long.toString(r.accepted)),
                List.of("connect latency p50 / p99 / max (ms)", r.connectLatency.p50() + " / " + r.connectLatency.p99() + " / " + r.connectLatency.max()))));
        List<List<String>> steps = new ArrayList<>();
        r.steps.forEach((k, n) -> steps.add(List.of(k, Long.toString(n))));
        md.append(Markdown.table(List.of("connect finished after the SYN sent at", "connects"), steps));
        md.append(charts.histogram("overflow-connect-latency", "Connect latency, " + r.connects + " connects, backlog " + r.backlog
                + ", acceptor resumed at " + Markdown.num(r.pauseMs, 0) + " ms", "connect latency (ms)", "connects", r.histogram));
        md.append(charts.lines("overflow-queue", "Accept queue (Recv-Q) of the listener during the storm", "ms since the storm started",
                "connections waiting", Map.of("listener, backlog " + r.backlog, r.queue), true));
        md.append("Other TCP counters that moved: " + r.tcpCounterDeltas.entrySet().stream().filter(e -> e.getValue() != 0)
                .map(e -> "`" + e.getKey() + "` " + e.getValue()).reduce((a, b) -> a + ", " + b).orElse("none") + ".\n\n");
        return new ReportSection(title(), md.toString(), findings(r));
    }

    List<Finding> findings(Result r) {
        List<Finding> out = new ArrayList<>();
        out.add(new Finding("Full accept queue", String.format("backlog %d: Recv-Q %d while paused; ListenOverflows +%d, "
                        + "ListenDrops +%d for %d connects.", r.backlog, r.recvQPinned, r.listenOverflows, r.listenDrops, r.connects),
                "the queue holds backlog + 1; a full queue drops the handshake and ListenOverflows/ListenDrops rise (Cloudflare 2018).",
                "Recv-Q = backlog + 1 and ListenOverflows >= connects - backlog - 1",
                Verdict.of(r.recvQPinned == r.backlog + 1L && r.listenOverflows >= r.droppedAtLeast())));
        long late = r.steps.entrySet().stream().filter(e -> !e.getKey().equals("0 s") && !e.getKey().equals("timed out"))
                .mapToLong(Map.Entry::getValue).sum();
        out.add(new Finding("SYN retransmission", "connects by the SYN they completed after: " + r.steps + ".",
                "a dropped SYN is sent again after 1 s, then 3 s, 7 s (initial RTO 1 s, doubling).",
                "some connects completed late, all of them in the 1 s or 3 s band",
                Verdict.of(late > 0 && r.steps.getOrDefault("1 s", 0L) + r.steps.getOrDefault("3 s", 0L) == late)));
        return out;
    }
}
