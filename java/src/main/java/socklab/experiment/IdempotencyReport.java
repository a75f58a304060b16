package socklab.experiment;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

import socklab.experiment.IdempotencyExperiment.Result;
import socklab.experiment.IdempotencyExperiment.Scenario;
import socklab.experiment.IdempotencyExperiment.Settings;

/**
 * The idempotency experiment's table, its checks, and its JSON: a file that says what every number
 * is and how it was measured, for the {@code make bench} report and for anyone reading it alone.
 */
public final class IdempotencyReport {
    private IdempotencyReport() {}

    private static final ObjectMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    /**
     * One statement about the run, computed from its numbers.
     *
     * @param invariant true: idempotency must guarantee it, and the experiment fails without it;
     *                  false: it demonstrates the problem, and needs faults to have happened
     */
    public record Check(String statement, boolean passed, boolean invariant, String measured) {}

    /** Every check that applies to the scenarios that ran. */
    public static List<Check> checks(Result result) {
        List<Check> checks = new ArrayList<>();
        for (Scenario s : result.scenarios()) {
            Ledger l = s.ledger();
            String measured = l.duplicateRows() + " duplicate rows, " + l.acknowledgedLost() + " acknowledged lost, "
                    + l.acknowledged() + "/" + l.requests() + " acknowledged"
                    + (s.nginxRetries() == null ? "" : ", " + s.nginxRetries() + " nginx retries");
            if (s.idempotencyKey()) {
                checks.add(new Check(s.name() + ": every acknowledged comment stored exactly once, no duplicate",
                        l.acknowledgedLost() == 0 && l.duplicateRows() == 0, true, measured));
            } else if (s.part() == 1) {
                checks.add(new Check(s.name() + ": retries after faults stored duplicates", l.duplicateRows() > 0, false, measured));
            } else if (s.request().startsWith("GET")) {
                checks.add(new Check(s.name() + ": nginx retried the GET and stored duplicates",
                        s.nginxRetries() > 0 && l.duplicateRows() > 0, false, measured));
            } else if (s.retriedBy().contains("non_idempotent")) {
                checks.add(new Check(s.name() + ": nginx retried the POST and stored duplicates",
                        s.nginxRetries() > 0 && l.duplicateRows() > 0, false, measured));
            } else {
                checks.add(new Check(s.name() + ": nginx did not retry the POST, so stored no duplicate",
                        s.nginxRetries() == 0 && l.duplicateRows() == 0, false, measured));
            }
            if (s.part() == 3) {
                checks.add(new Check(s.name() + ": every request acknowledged after the restart",
                        l.acknowledged() == l.requests(), true, measured));
            }
        }
        return checks;
    }

    /** The table printed at the end of a run, then the checks. */
    public static List<String> table(Result result) {
        List<String> lines = new ArrayList<>();
        String format = "%-4s %-17s %-3s %-30s %8s %8s %5s %8s %10s %10s %8s %11s %7s %6s  %s";
        lines.add(String.format(format, "part", "request", "key", "retried by", "requests", "attempts", "acked",
                "dup rows", "acked lost", "not acked,", "replayed", "faults", "nginx", "time", "note"));
        lines.add(String.format(format, "", "", "", "", "", "", "", "", "", "but stored", "", "drop/delay", "retries", "s", ""));
        for (Scenario s : result.scenarios()) {
            Ledger l = s.ledger();
            lines.add(String.format(format, s.part(), s.request(), s.idempotencyKey() ? "yes" : "no", s.retriedBy(),
                    l.requests(), l.attempts(), l.acknowledged(), l.duplicateRows(), l.acknowledgedLost(),
                    l.unacknowledgedStored(), l.replayed(),
                    s.injectedDrops() == null ? "-" : s.injectedDrops() + "/" + s.injectedDelays(),
                    s.nginxRetries() == null ? "-" : s.nginxRetries(), String.format("%.1f", s.seconds()),
                    s.note() == null ? "" : s.note()).stripTrailing());
        }
        if (result.nginxSkipped() != null) {
            lines.add("part 2 skipped: " + result.nginxSkipped());
        }
        lines.add("attempts: HTTP requests the client sent; dup rows: rows beyond one per request; faults: connections dropped /"
                + " responses delayed by the backends after a commit; nginx retries: tries beyond the first, from its access log");
        for (Check c : checks(result)) {
            lines.add((c.passed() ? "ok    " : c.invariant() ? "FAIL  " : "not shown  ") + c.statement() + " (" + c.measured() + ")");
        }
        return lines;
    }

    /** Whether every invariant held (the demonstrations may not, without faults). */
    public static boolean invariantsHold(Result result) {
        return checks(result).stream().filter(Check::invariant).allMatch(Check::passed);
    }

    /** Writes {@code idempotency-SHA-STAMP.json} under {@code resultsDir} and returns its path. */
    public static Path writeJson(Settings settings, Result result, Path resultsDir, String gitSha, Instant started) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("experiment", "idempotency");
        doc.put("description", "How retries turn into duplicate comments, and how an Idempotency-Key stops them. "
                + "Each scenario sends N logical requests, each with a text of its own, to POST /comments (or the "
                + "mutating GET /comments/add) on SQLite, then counts the rows each text has.");
        doc.put("git_sha", gitSha);
        doc.put("started_at", started.toString());
        doc.put("jdk", Runtime.version().toString());
        doc.put("kernel", System.getProperty("os.version"));
        doc.put("settings", settings(settings));
        doc.put("nginx", nginx(result));
        doc.put("fields", FIELDS);
        doc.put("scenarios", result.scenarios());
        doc.put("checks", checks(result));
        String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(started);
        Path file = resultsDir.resolve("idempotency-" + gitSha + "-" + stamp + ".json");
        try {
            Files.createDirectories(resultsDir);
            JSON.writeValue(file.toFile(), doc);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
        return file;
    }

    private static Map<String, Object> settings(Settings s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("requests_per_scenario", s.requests());
        m.put("seed", s.seed());
        m.put("fault_drop_probability", s.faults().dropProbability());
        m.put("fault_delay_probability", s.faults().delayProbability());
        m.put("fault_delay_ms", s.faults().delay().toMillis());
        m.put("client_timeout_ms", s.clientTimeout().toMillis());
        m.put("proxy_read_timeout_ms", s.proxyTimeout().toMillis());
        m.put("model", s.model().cliName());
        m.put("workers", s.workers());
        m.put("crash_clients", s.crashClients());
        m.put("sqlite", "WAL, synchronous=FULL, BEGIN IMMEDIATE, busy_timeout 5000 ms");
        return m;
    }

    private static Map<String, Object> nginx(Result result) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ran", result.nginxSkipped() == null);
        m.put("version", result.nginxVersion());
        m.put("skipped_because", result.nginxSkipped());
        m.put("config", "two upstream servers with max_fails=0 sharing one database, master_process off, "
                + "proxy_next_upstream as in each scenario's retried_by, proxy_read_timeout as in settings");
        return m;
    }

    private static final Map<String, String> FIELDS = fields();

    private static Map<String, String> fields() {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("scenarios[].part", "1 client retries (in-process server), 2 nginx retries (two in-process backends), "
                + "3 kill -9 of a socklab serve JVM halfway through and a restart on the same database");
        f.put("scenarios[].retried_by", "client: the client resends on reset, timeout or refused connection "
                + "(part 3 also on 409 and 503); otherwise nginx's proxy_next_upstream and the client sends once");
        f.put("scenarios[].ledger.requests", "logical requests, each with a unique text (and its own key when keyed)");
        f.put("scenarios[].ledger.attempts", "HTTP requests the client sent, retries included (nginx's retries not)");
        f.put("scenarios[].ledger.acknowledged", "requests whose last answer was a 2xx");
        f.put("scenarios[].ledger.stored_once", "requests with exactly one row");
        f.put("scenarios[].ledger.duplicate_rows", "rows beyond the first for a request's text: duplicates retries made");
        f.put("scenarios[].ledger.duplicated_requests", "requests with more than one row");
        f.put("scenarios[].ledger.acknowledged_lost", "acknowledged requests without a row (must be 0)");
        f.put("scenarios[].ledger.unacknowledged_stored", "requests stored though the client got no 2xx");
        f.put("scenarios[].ledger.unacknowledged_missing", "requests neither acknowledged nor stored");
        f.put("scenarios[].ledger.replayed", "requests whose last answer carried Idempotent-Replayed: true");
        f.put("scenarios[].ledger.endings", "how requests ended: HTTP status, or reset / timeout / refused");
        f.put("scenarios[].injected_drops", "connections the backend(s) closed after a commit, before the response");
        f.put("scenarios[].injected_delays", "responses the backend(s) held back past the timeout after a commit");
        f.put("scenarios[].nginx_retries", "tries beyond the first, from $upstream_addr in nginx's access log");
        f.put("scenarios[].seconds", "wall time of the scenario, starting servers and nginx included (not a benchmark)");
        f.put("checks[].invariant", "true: guaranteed by the key (the run fails otherwise); false: a demonstration "
                + "of the problem, which needs faults to have happened");
        return f;
    }
}
