package socklab.report;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import socklab.report.Finding.Verdict;

/**
 * Report sections for results the experiment registry does not write itself: the idempotency
 * experiment's file (its own format: scenarios and checks), JMH's JSON, the FFI cost table that
 * {@code make bench-ffi} prints, and the side-by-side table of {@code make bench-peers}. Each is
 * rendered from the file alone.
 */
final class ExternalParts {
    private ExternalParts() {}

    /** The idempotency experiment's scenarios as a table, its checks as findings. */
    static ReportSection idempotency(JsonNode doc) {
        List<List<String>> rows = new ArrayList<>();
        for (JsonNode s : doc.path("scenarios")) {
            JsonNode l = s.path("ledger");
            rows.add(List.of(s.path("part").asText(), s.path("request").asText(), s.path("idempotency_key").asBoolean() ? "yes" : "no",
                    s.path("retried_by").asText(), l.path("requests").asText(), l.path("attempts").asText(),
                    l.path("acknowledged").asText(), l.path("duplicate_rows").asText(), l.path("acknowledged_lost").asText(),
                    l.path("replayed").asText(), s.path("nginx_retries").isNull() ? "–" : s.path("nginx_retries").asText()));
        }
        StringBuilder md = new StringBuilder(doc.path("description").asText()).append("\n\n");
        md.append(Markdown.table(List.of("part", "request", "key", "retried by", "requests", "attempts", "acknowledged",
                "duplicate rows", "acknowledged lost", "replayed", "nginx retries"), rows));
        if (!doc.path("nginx").path("ran").asBoolean(true)) {
            md.append("Part 2 (nginx) was skipped: ").append(doc.path("nginx").path("skipped_because").asText()).append("\n\n");
        }
        md.append(fields(doc.path("fields")));
        List<List<String>> checks = new ArrayList<>();
        int invariants = 0;
        int invariantsHeld = 0;
        List<String> shown = new ArrayList<>();
        List<String> notShown = new ArrayList<>();
        for (JsonNode c : doc.path("checks")) {
            boolean passed = c.path("passed").asBoolean();
            boolean invariant = c.path("invariant").asBoolean();
            checks.add(List.of(c.path("statement").asText(), invariant ? "invariant" : "demonstration",
                    passed ? "held" : "did not hold", c.path("measured").asText()));
            if (invariant) {
                invariants++;
                invariantsHeld += passed ? 1 : 0;
            } else {
                (passed ? shown : notShown).add(c.path("statement").asText());
            }
        }
        md.append(Markdown.table(List.of("check", "kind", "result", "measured"), checks));
        List<Finding> findings = new ArrayList<>();
        if (invariants > 0) {
            findings.add(new Finding("Idempotency-Key", invariantsHeld + " of " + invariants + " invariant checks held (every "
                    + "acknowledged comment stored exactly once in every keyed scenario).",
                    "with a key a retried request is processed once and its stored result replayed (IETF httpapi draft, Stripe).",
                    "every invariant check of the idempotency experiment held", Verdict.of(invariantsHeld == invariants)));
        }
        if (!shown.isEmpty() || !notShown.isEmpty()) {
            findings.add(new Finding("Retries without a key", shown.size() + " of " + (shown.size() + notShown.size())
                    + " demonstrations shown" + (notShown.isEmpty() ? "" : "; not shown: " + String.join("; ", notShown)) + ".",
                    "retries after a timeout or reset duplicate non-idempotent requests; nginx retries GET by default, "
                            + "POST only with non_idempotent.", "every demonstration of the idempotency experiment was shown "
                            + "(each needs faults to have happened)", Verdict.of(notShown.isEmpty())));
        }
        return new ReportSection(doc.path("experiment").asText("idempotency").equals("idempotency")
                ? "Idempotency: retries, duplicates and Idempotency-Key" : doc.path("experiment").asText(), md.toString(), findings);
    }

    /** JMH's results (one JSON array per file) as one table. */
    static ReportSection jmh(List<JsonNode> files) {
        List<List<String>> rows = new ArrayList<>();
        for (JsonNode file : files) {
            for (JsonNode b : file) {
                StringBuilder params = new StringBuilder();
                Iterator<Map.Entry<String, JsonNode>> it = b.path("params").properties().iterator();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> e = it.next();
                    params.append(params.isEmpty() ? "" : ", ").append(e.getKey()).append('=').append(e.getValue().asText());
                }
                JsonNode m = b.path("primaryMetric");
                rows.add(List.of(b.path("benchmark").asText().replaceFirst("^socklab\\.bench\\.", ""), params.toString(),
                        b.path("mode").asText(), Markdown.num(m.path("score").asDouble(), 3),
                        Double.isNaN(m.path("scoreError").asDouble(Double.NaN)) ? "–" : Markdown.num(m.path("scoreError").asDouble(), 3),
                        m.path("scoreUnit").asText(), b.path("forks").asText() + " × " + b.path("measurementIterations").asText()
                                + " × " + b.path("measurementTime").asText()));
            }
        }
        String md = "JMH, as configured by `make bench` (the profile sets forks and iterations); the error is JMH's 99.9% "
                + "confidence half-width.\n\n" + Markdown.table(List.of("benchmark", "parameters", "mode", "score", "± error",
                "unit", "forks × iterations × time"), rows);
        return new ReportSection("JMH benchmarks", md, List.of());
    }

    /** The FFI cost table as {@code make bench-ffi} printed it. */
    static ReportSection ffi(List<String> tables) {
        StringBuilder md = new StringBuilder("The per-call cost table printed by `make bench-ffi` (JMH through every binding "
                + "next to a C loop's floor), as it was written:\n\n");
        tables.forEach(t -> md.append("```\n").append(t.strip()).append("\n```\n\n"));
        return new ReportSection("FFI cost per call", md.toString(), List.of());
    }

    /**
     * {@code make bench-peers}: socklab's models next to nginx, Netty, JDK NIO and the C server, one table
     * per run file as the file's rows give it; its goals become findings (measured: they are the issue's
     * targets, not reference facts).
     */
    static ReportSection peers(List<JsonNode> docs) {
        StringBuilder md = new StringBuilder();
        List<Finding> findings = new ArrayList<>();
        for (JsonNode doc : docs) {
            JsonNode s = doc.path("settings");
            JsonNode m = doc.path("machine");
            md.append(doc.path("method").asText()).append("\n\n");
            md.append(String.format(Locale.ROOT, "%s keep-alive connections, %s loader threads, %s ms a run, %s rounds, git %s; "
                            + "%s cores, %s; wrk: %s; nginx: %s; Netty %s. Load average at the start %s, at the end %s: %s.%n%n",
                    s.path("connections").asText(), s.path("threads").asText(), s.path("duration_ms").asText(),
                    s.path("rounds").asText(), doc.path("git_sha").asText(), m.path("cores").asText(), m.path("jdk").asText(),
                    m.path("wrk").asText("not installed"), m.path("nginx").asText("not installed"), m.path("netty").asText(),
                    m.path("load_average_start").toString(), m.path("load_average_end").toString(), m.path("shared").asText()));
            List<List<String>> rows = new ArrayList<>();
            for (JsonNode r : doc.path("rows")) {
                boolean measured = r.hasNonNull("requestsPerSecond");
                rows.add(List.of(r.path("server").asText(), r.path("workers").asText(), r.path("loader").asText(),
                        measured ? Markdown.count(Math.round(r.path("requestsPerSecond").asDouble()))
                                : r.path("status").asText() + ": " + r.path("note").asText(),
                        measured ? Markdown.count(Math.round(r.path("min").asDouble())) + "–"
                                + Markdown.count(Math.round(r.path("max").asDouble())) : "–",
                        measured ? Markdown.num(r.path("spreadPercent").asDouble(), 1) + "%" : "–",
                        measured ? Markdown.num(r.path("p50Micros").asDouble(), 0) : "–",
                        measured ? Markdown.num(r.path("p99Micros").asDouble(), 0) : "–",
                        measured ? r.path("errors").asText() : "–",
                        times(r.path("vsNginxReuseport")), times(r.path("vsCReuseport")), times(r.path("loadVsWrk"))));
            }
            md.append(Markdown.table(List.of("server", "workers", "loader", "req/s (median)", "min–max", "spread", "p50 µs",
                    "p99 µs", "errors", "× nginx", "× C", "load ÷ wrk"), rows));
            md.append("× nginx and × C: the row's median over `").append(doc.path("references").path("nginx").asText())
                    .append("`'s and `").append(doc.path("references").path("c").asText())
                    .append("`'s under the same loader; load ÷ wrk: socklab load's median over wrk's on that server.\n\n");
            for (JsonNode g : doc.path("goals")) {
                findings.add(Finding.measured("socklab next to its peers", g.path("name").asText() + ": " + g.path("subject").asText()
                        + " over " + g.path("reference").asText() + " by " + g.path("loader").asText() + " medians, "
                        + g.path("verdict").asText() + "."));
            }
        }
        return new ReportSection("socklab next to nginx, Netty, JDK NIO and a C server", md.toString(), findings);
    }

    private static String times(JsonNode ratio) {
        return ratio.isNumber() ? Markdown.num(ratio.asDouble(), 2) + "×" : "–";
    }

    /** A result file's {@code fields} (how each number was measured) as a list. */
    static String fields(JsonNode fields) {
        if (!fields.isObject() || fields.isEmpty()) {
            return "";
        }
        StringBuilder md = new StringBuilder("How each number was measured:\n\n");
        fields.properties().forEach(e -> md.append("- `").append(e.getKey()).append("`: ").append(e.getValue().asText()).append('\n'));
        return md.append('\n').toString();
    }
}
