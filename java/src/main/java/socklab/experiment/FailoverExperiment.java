package socklab.experiment;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import socklab.report.Charts;
import socklab.report.Finding;
import socklab.report.Finding.Verdict;
import socklab.report.Markdown;
import socklab.report.ReportSection;

/**
 * {@code failover}: a worker process of a group dies with connections waiting in its accept queue.
 * Three trials, each in a network namespace of its own made with {@code ip netns add} (the host's
 * sysctls are never touched), each a {@link FailoverTrial} in a JVM started there with
 * {@code ip netns exec}: reuseport with net.ipv4.tcp_migrate_req=0 (the kernel resets the dead
 * socket's queue), reuseport with tcp_migrate_req=1 (Linux 5.14+ moves it to the surviving sockets of
 * the group), and shared-accept, whose one socket outlives any worker. Every namespace is deleted
 * afterwards, and whatever still ran in it killed, whether the trial succeeded or not. Needs root.
 */
public final class FailoverExperiment extends Experiment<FailoverExperiment.Result> {

    /** The trials in order. */
    public record Result(List<FailoverTrial.Result> trials) {}

    public FailoverExperiment() {
        super("failover", "Failover: a killed worker's accept queue, reset or migrated",
                "A group of worker processes (serve --processes P) takes a storm of M new connections, each one request "
                + "(GET /sleep?ms=N, so queues stay filled) while one worker is stopped (SIGSTOP): everything the kernel "
                + "steers to it waits in its accept queue. Once every connection is established that worker is killed "
                + "(SIGKILL) and each client's outcome is counted. Three trials, each in a network namespace of its own: "
                + "reuseport without and with net.ipv4.tcp_migrate_req, and shared-accept. Needs root (ip netns).",
                Result.class);
    }

    @Override
    public List<Knob> knobs() {
        return List.of(
                Knob.count("processes", "worker processes in the group, one of which is killed", 3, 4),
                Knob.count("connections", "connections in the storm, one request each", 300, 1000),
                Knob.count("sleep-ms", "each request's handler time (GET /sleep?ms=N) in ms, which keeps the queues filled", 10, 10),
                Knob.count("backlog", "listen(2) backlog of every socket: room for each worker's share of the storm", 1024, 4096),
                Knob.duration("timeout", "how long the clients wait for their connects, then for their answers", "20s", "30s"));
    }

    @Override
    public Map<String, String> fields() {
        return fields(
                "trials[].victim_queue", "Recv-Q (sock_diag idiag_rqueue) of the listening socket the killed worker owned, read "
                        + "after every connect completed and just before SIGKILL; -1 for shared-accept, whose workers share one",
                "trials[].shared_queue", "shared-accept: Recv-Q of the one listening socket just before SIGKILL; -1 otherwise",
                "trials[].answered", "connections whose client read an HTTP/1.1 200 and then the server's close",
                "trials[].reset", "connections whose client's read failed with ECONNRESET",
                "trials[].closed_without_answer", "connections the server closed without sending a byte",
                "trials[].other_answer", "connections answered with a status other than 200",
                "trials[].timed_out", "connections with no outcome when the timeout passed",
                "trials[].migrated / migrate_failed", "TcpExtTCPMigrateReqSuccess / TCPMigrateReqFailure of the trial's own "
                        + "network namespace, after minus before",
                "trials[].migrate_req", "net.ipv4.tcp_migrate_req as read back in the trial's namespace after setting it");
    }

    @Override
    public Result run(Params p, PrintWriter out) throws InterruptedException {
        List<FailoverTrial.Result> trials = new ArrayList<>();
        String[][] plan = {{"reuseport", "0"}, {"reuseport", "1"}, {"shared-accept", "0"}};
        for (int i = 0; i < plan.length; i++) {
            String netns = "socklab-failover-" + ProcessHandle.current().pid() + "-" + i;
            FailoverTrial.Settings s = new FailoverTrial.Settings(netns, plan[i][0], p.count("processes"), p.count("connections"),
                    p.count("sleep-ms"), p.count("backlog"), p.duration("timeout").toMillis(), Integer.parseInt(plan[i][1]));
            FailoverTrial.Result r = trial(s);
            out.println("  " + line(r));
            out.flush();
            trials.add(r);
        }
        return new Result(trials);
    }

    /** One trial in a namespace of its own, deleted afterwards whatever happened. */
    static FailoverTrial.Result trial(FailoverTrial.Settings s) throws InterruptedException {
        try (NamedNetns netns = NamedNetns.create(s.netns())) {
            Path log = Files.createTempFile("socklab-failover-trial-", ".log");
            try {
                Process p = new ProcessBuilder(netns.exec(SocklabJvm.command(List.of(), FailoverTrial.class.getName(), s.args())))
                        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
                // two timeouts of the clients, and room for the JVMs of the group to start and stop
                if (!p.waitFor(2 * s.timeoutMs() + 90_000, TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly().waitFor();
                    throw new IllegalStateException("the " + s.model() + " trial did not finish; its output: " + Files.readString(log).strip());
                }
                String output = Files.readString(log, StandardCharsets.UTF_8);
                String result = output.lines().filter(l -> l.startsWith(FailoverTrial.RESULT_PREFIX)).findFirst()
                        .orElseThrow(() -> new IllegalStateException("the " + s.model() + " trial failed (exit " + p.exitValue()
                                + "): " + output.strip()));
                return ResultFile.JSON.readValue(result.substring(FailoverTrial.RESULT_PREFIX.length()), FailoverTrial.Result.class);
            } finally {
                Files.deleteIfExists(log);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String name(FailoverTrial.Result r) {
        return r.model().equals("reuseport") ? "reuseport, tcp_migrate_req=" + r.migrateReq() : r.model() + " (one shared socket)";
    }

    private static String line(FailoverTrial.Result r) {
        String queue = r.victimQueue() >= 0 ? "killed worker's queue " + r.victimQueue() : "shared queue " + r.sharedQueue();
        return String.format("%-28s %d connections, %s at the kill: %d answered, %d reset, %d closed, %d other, %d timed out; migrated %d",
                name(r), r.connections(), queue, r.answered(), r.reset(), r.closedWithoutAnswer(), r.otherAnswer(), r.timedOut(), r.migrated());
    }

    @Override
    public List<String> table(Result result) {
        return result.trials().stream().map(FailoverExperiment::line).toList();
    }

    @Override
    public ReportSection report(Result result, Params p, Charts charts) {
        List<List<String>> rows = new ArrayList<>();
        for (FailoverTrial.Result r : result.trials()) {
            rows.add(List.of(name(r), Long.toString(r.connections()),
                    r.victimQueue() >= 0 ? Long.toString(r.victimQueue()) : "–", r.sharedQueue() >= 0 ? Long.toString(r.sharedQueue()) : "–",
                    Long.toString(r.answered()), Long.toString(r.reset()), Long.toString(r.closedWithoutAnswer() + r.otherAnswer()),
                    Long.toString(r.timedOut()), Long.toString(r.migrated())));
        }
        String md = Markdown.table(List.of("trial", "connections", "killed worker's queue", "shared queue", "answered", "reset",
                "closed / other", "timed out", "TCPMigrateReqSuccess"), rows);
        return new ReportSection(title(), md, findings(result));
    }

    List<Finding> findings(Result result) {
        List<Finding> out = new ArrayList<>();
        for (FailoverTrial.Result r : result.trials()) {
            String measured = line(r) + ".";
            if (r.model().equals("reuseport") && r.migrateReq() == 0) {
                out.add(new Finding("Dead reuseport worker, no migration", measured,
                        "connections queued on a SO_REUSEPORT socket are reset when it closes (nginx `listen … reuseport`).",
                        "reset = the killed worker's queue > 0, and every other connection answered",
                        Verdict.of(r.victimQueue() > 0 && r.reset() == r.victimQueue() && r.answered() == r.connections() - r.reset())));
            } else if (r.model().equals("reuseport")) {
                out.add(new Finding("Dead reuseport worker, tcp_migrate_req=1", measured,
                        "Linux 5.14+: with net.ipv4.tcp_migrate_req=1 queued connections move to another socket of the group.",
                        "no reset, every connection answered, TCPMigrateReqSuccess = the killed worker's queue > 0",
                        Verdict.of(r.victimQueue() > 0 && r.reset() == 0 && r.answered() == r.connections() && r.migrated() == r.victimQueue())));
            } else {
                out.add(new Finding("Dead worker on a shared socket", measured,
                        "with one socket shared by every worker, the queue belongs to the socket, which outlives any one process.",
                        "no reset, every connection answered",
                        Verdict.of(r.reset() == 0 && r.answered() == r.connections())));
            }
        }
        return out;
    }
}
