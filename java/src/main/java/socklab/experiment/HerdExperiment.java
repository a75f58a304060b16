package socklab.experiment;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import socklab.http.HttpLimits;
import socklab.http.WorkerStats;
import socklab.report.Charts;
import socklab.report.Finding;
import socklab.report.Finding.Verdict;
import socklab.report.Markdown;
import socklab.report.ReportSection;
import socklab.server.AcceptMode;
import socklab.server.Model;
import socklab.server.Server;
import socklab.sys.Binding;
import socklab.sys.Fd;
import socklab.sys.Sockets;

/**
 * {@code herd}: N waiters on one listening socket, and what one new connection costs them. Before each
 * connect every waiter is asleep in accept or epoll_wait (checked in /proc, not hoped for); after it,
 * the experiment waits until the connection was accepted and every waiter sleeps again, then counts
 * the waiters' voluntary context switches (each a wake-up that ended in sleep again) and the accept4
 * calls that returned EAGAIN (a wake-up for a connection another waiter took).
 */
public final class HerdExperiment extends Experiment<HerdExperiment.Result> {

    /**
     * One accept mode.
     *
     * @param wakeupsPerAccept       waiters' voluntary context switches per accepted connection
     * @param eagainPerAccept        accept4 calls that found nothing, per accepted connection
     * @param wokenWaitersPerAccept  waiters that woke at least once, per accepted connection
     * @param wakeupsDistribution    wake-ups of one connection to the number of connections that cost that many
     */
    public record Mode(String accept, int waiters, int connections, double wakeupsPerAccept, double eagainPerAccept,
                       double wokenWaitersPerAccept, Map<Integer, Integer> wakeupsDistribution) {}

    public record Result(List<Mode> modes) {}

    /** Bound on waiting for the waiters to settle after a connect; far above the microseconds it takes. */
    private static final long SETTLE_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);

    public HerdExperiment() {
        super("herd", "Herd: wake-ups per accepted connection",
                "N workers wait on one listening socket (shared-accept, each accept mode). Connections arrive one at a time, "
                + "each only when every waiter sleeps in accept or epoll_wait; per connection the experiment counts the "
                + "waiters' wake-ups (voluntary context switches in /proc) and the accept4 calls that returned EAGAIN.", Result.class);
    }

    @Override
    public List<Knob> knobs() {
        return List.of(
                Knob.names("accept", "accept modes", Knob.ALL, Knob.ALL,
                        () -> java.util.Arrays.stream(AcceptMode.values()).map(AcceptMode::cliName).toList()),
                Knob.count("waiters", "workers waiting on the socket", 4, 8),
                Knob.count("connections", "connections, one at a time", 50, 500));
    }

    @Override
    public Map<String, String> fields() {
        return fields(
                "modes[].wakeups_per_accept", "sum over the waiting threads of the change in voluntary_ctxt_switches "
                        + "(/proc/self/task/TID/status) from before a connect, when all slept in accept4/epoll_wait, to after it was "
                        + "accepted and all slept again; averaged over the connections. Waiting threads: the accept threads (blocking), "
                        + "else the workers' event-loop threads",
                "modes[].eagain_per_accept", "accept4 calls returning EAGAIN (the workers' accept_eagain counter in /stats) per connection",
                "modes[].woken_waiters_per_accept", "waiting threads whose count moved, per connection",
                "modes[].wakeups_distribution", "wake-ups of one connection -> number of connections",
                "note", "the client connects and keeps the connection open without sending, so no request wakes a worker; "
                        + "mutex: idle workers also wake every 500 ms (accept_mutex_delay) to retry the lock");
    }

    @Override
    public Result run(Params p, PrintWriter out) throws InterruptedException {
        List<Mode> modes = new ArrayList<>();
        for (String name : p.names("accept")) {
            Mode m = runOne(AcceptMode.byName(name), p.count("waiters"), p.count("connections"));
            out.printf("  %s: %.2f wake-ups and %.2f EAGAIN accepts per connection%n", name, m.wakeupsPerAccept, m.eagainPerAccept);
            out.flush();
            modes.add(m);
        }
        return new Result(modes);
    }

    private Mode runOne(AcceptMode accept, int waiters, int connections) throws InterruptedException {
        Variant v = new Variant(Model.SHARED_ACCEPT, accept, null);
        List<Integer> clients = new ArrayList<>();
        try (Server server = Server.start(v.config(waiters, Binding.NAMES.getFirst(), 511, HttpLimits.DEFAULTS))) {
            List<WorkerStats> workers = server.workers();
            long deadline = System.nanoTime() + SETTLE_TIMEOUT_NANOS;
            List<Long> tids = waiterTids(server, accept);
            while (tids.size() < waiters || tids.contains(0L)) {
                awaitUntil(deadline, "the waiters to start");
                tids = waiterTids(server, accept);
            }
            long[] before = settled(tids, accepted(workers), workers);
            long wakeups = 0;
            long woken = 0;
            Map<Integer, Integer> distribution = new TreeMap<>();
            long eagainAtStart = eagain(workers);
            for (int i = 0; i < connections; i++) {
                int fd = Sockets.tcpSocket(socklab.sys.SockAddr.family(server.address().getAddress()), Sockets.SOCK_CLOEXEC);
                clients.add(fd);
                Sockets.connect(fd, server.address());
                long[] after = settled(tids, i + 1, workers);
                int thisOne = 0;
                for (int t = 0; t < tids.size(); t++) {
                    long d = after[t] - before[t];
                    thisOne += (int) d;
                    woken += d > 0 ? 1 : 0;
                }
                wakeups += thisOne;
                distribution.merge(thisOne, 1, Integer::sum);
                before = after;
            }
            long eagain = eagain(workers) - eagainAtStart;
            return new Mode(accept.cliName(), waiters, connections, round((double) wakeups / connections),
                    round((double) eagain / connections), round((double) woken / connections), distribution);
        } finally {
            clients.forEach(Fd::close);
        }
    }

    /** The threads that wait on the socket: the accept threads for blocking accept, else the event loops. */
    private static List<Long> waiterTids(Server server, AcceptMode accept) {
        return accept == AcceptMode.BLOCKING ? server.accepterTids() : server.workers().stream().map(WorkerStats::tid).toList();
    }

    /**
     * Waits until {@code expectedAccepted} connections were accepted and every waiter sleeps in a wait
     * for connections, twice in a row with the same counts (nothing in flight between the two looks);
     * returns their voluntary context switch counts.
     */
    private static long[] settled(List<Long> tids, long expectedAccepted, List<WorkerStats> workers) throws InterruptedException {
        long deadline = System.nanoTime() + SETTLE_TIMEOUT_NANOS;
        long[] previous = null;
        while (true) {
            long[] now = new long[tids.size()];
            boolean asleep = accepted(workers) >= expectedAccepted;
            for (int t = 0; t < tids.size() && asleep; t++) {
                ThreadState s = ThreadState.of(tids.get(t));
                asleep = s.waitingForConnections();
                now[t] = s.voluntary();
            }
            if (asleep && previous != null && java.util.Arrays.equals(previous, now)) {
                return now;
            }
            previous = asleep ? now : null;
            awaitUntil(deadline, "connection " + expectedAccepted + " to be accepted and every waiter to sleep again");
        }
    }

    private static void awaitUntil(long deadline, String what) throws InterruptedException {
        if (System.nanoTime() > deadline) {
            throw new IllegalStateException("herd: gave up waiting for " + what + " after "
                    + TimeUnit.NANOSECONDS.toSeconds(SETTLE_TIMEOUT_NANOS) + " s");
        }
        TimeUnit.MICROSECONDS.sleep(200);
    }

    private static long accepted(List<WorkerStats> workers) {
        return workers.stream().mapToLong(WorkerStats::accepted).sum();
    }

    private static long eagain(List<WorkerStats> workers) {
        return workers.stream().mapToLong(WorkerStats::acceptEagain).sum();
    }

    private static double round(double x) {
        return Math.round(x * 1000) / 1000.0;
    }

    @Override
    public Map<String, List<List<Object>>> csv(Result r) {
        List<List<Object>> rows = new ArrayList<>();
        rows.add(List.<Object>of("accept", "waiters", "connections", "wakeups_per_accept", "eagain_per_accept", "woken_waiters_per_accept"));
        r.modes.forEach(m -> rows.add(List.<Object>of(m.accept, m.waiters, m.connections, m.wakeupsPerAccept, m.eagainPerAccept,
                m.wokenWaitersPerAccept)));
        return Map.of("modes", rows);
    }

    @Override
    public List<String> table(Result r) {
        List<String> lines = new ArrayList<>();
        lines.add(String.format("%-10s %7s %11s %10s %10s %10s  %s", "accept", "waiters", "connections", "wake-ups", "EAGAIN",
                "woken", "wake-ups per connection: connections"));
        for (Mode m : r.modes) {
            lines.add(String.format("%-10s %7d %11d %10.2f %10.2f %10.2f  %s", m.accept, m.waiters, m.connections,
                    m.wakeupsPerAccept, m.eagainPerAccept, m.wokenWaitersPerAccept, m.wakeupsDistribution));
        }
        return lines;
    }

    @Override
    public ReportSection report(Result r, Params p, Charts charts) {
        List<List<String>> rows = new ArrayList<>();
        Map<String, Map<String, Double>> bars = new LinkedHashMap<>();
        for (Mode m : r.modes) {
            rows.add(List.of(m.accept, Integer.toString(m.waiters), Integer.toString(m.connections), Markdown.num(m.wakeupsPerAccept, 2),
                    Markdown.num(m.eagainPerAccept, 2), Markdown.num(m.wokenWaitersPerAccept, 2), m.wakeupsDistribution.toString()));
            Map<String, Double> b = new LinkedHashMap<>();
            b.put("wake-ups", m.wakeupsPerAccept);
            b.put("EAGAIN accepts", m.eagainPerAccept);
            bars.put(m.accept, b);
        }
        String md = Markdown.table(List.of("accept", "waiters", "connections", "wake-ups per connection", "EAGAIN per connection",
                "waiters woken per connection", "wake-ups: connections"), rows)
                + charts.bars("herd-wakeups", "Wake-ups and EAGAIN accepts per accepted connection", "accept mode", "per connection", bars);
        return new ReportSection(title(), md, findings(r));
    }

    List<Finding> findings(Result r) {
        List<Finding> out = new ArrayList<>();
        for (Mode m : r.modes) {
            String measured = String.format("%.2f wake-ups, %.2f EAGAIN accepts, %.2f of %d waiters woken per connection.",
                    m.wakeupsPerAccept, m.eagainPerAccept, m.wokenWaitersPerAccept, m.waiters);
            switch (m.accept) {
                case "epoll" -> out.add(new Finding("Herd, epoll", measured,
                        "a listener in N epoll sets wakes every waiter per connection; all but one find nothing (epoll_ctl(2)).",
                        "at least 3/4 of the waiters woken per connection", Verdict.of(m.wokenWaitersPerAccept >= 0.75 * m.waiters)));
                case "exclusive" -> out.add(new Finding("Herd, EPOLLEXCLUSIVE", measured,
                        "EPOLLEXCLUSIVE (Linux 4.5) wakes one or more waiters, not all (epoll_ctl(2)).",
                        "at most 1.5 waiters woken per connection", Verdict.of(m.wokenWaitersPerAccept <= 1.5)));
                case "blocking" -> out.add(new Finding("Herd, blocking accept", measured,
                        "threads blocked in accept() wait exclusively: one is woken per connection.",
                        "at most 1.2 waiters woken per connection", Verdict.of(m.wokenWaitersPerAccept <= 1.2)));
                default -> out.add(Finding.measured("Herd, " + m.accept, measured));
            }
        }
        return out;
    }
}
