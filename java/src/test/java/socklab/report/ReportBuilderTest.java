package socklab.report;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import socklab.experiment.BalanceExperiment;
import socklab.experiment.Environment;
import socklab.experiment.Experiment;
import socklab.experiment.HerdExperiment;
import socklab.experiment.LatencySummary;
import socklab.experiment.OverflowExperiment;
import socklab.experiment.Params;
import socklab.experiment.Profile;
import socklab.experiment.ResultFile;
import socklab.experiment.Shares;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The report of a small fixture run: its sections, its findings and verdicts, one SVG per chart, numbers in every row. */
class ReportBuilderTest {
    @TempDir
    Path results;

    @Test
    void rendersMarkdownAndHtmlWithEverySectionAndAnSvgPerChart() throws Exception {
        Path run = Files.createDirectories(results.resolve("20260101-000000-fixture"));
        Environment env = Environment.capture("fixture");
        write(run, new BalanceExperiment(), env, Map.of("variants", "shared-accept/blocking,shared-accept/exclusive",
                "concurrency", "1"), new BalanceExperiment.Result(3, List.of(
                new BalanceExperiment.Cell("shared-accept/blocking", 1, 0, Shares.of(List.of("0", "1", "2"), Map.of("0", 100L, "1", 100L, "2", 99L))),
                new BalanceExperiment.Cell("shared-accept/exclusive", 1, 0, Shares.of(List.of("0", "1", "2"), Map.of("0", 90L, "1", 110L, "2", 100L)))),
                List.of("cluster: --model cluster runs in worker processes: give --processes P")));
        write(run, new HerdExperiment(), env, Map.of("accept", "epoll"), new HerdExperiment.Result(List.of(
                new HerdExperiment.Mode("epoll", 4, 10, 4.0, 0.7, 4.0, Map.of(4, 10)))));
        Map<String, Long> steps = new LinkedHashMap<>();
        steps.put("0 s", 5L);
        steps.put("1 s", 45L);
        steps.put("3 s", 0L);
        steps.put("timed out", 0L);
        write(run, new OverflowExperiment(), env, Map.of(), new OverflowExperiment.Result(4, 4, 50, 3, 503, 4000, 5, 5, 50,
                Map.of("connect-timeout", 0L), 50, new LatencySummary(50, 900, 1020, 1025, 1030, 1030, 1031), steps,
                List.of(new double[] {0, 100, 5}, new double[] {1000, 1100, 45}), 90, 90, Map.of("TcpExtListenOverflows", 90L),
                List.of(new double[] {0, 0}, new double[] {10, 5}, new double[] {600, 0})));
        Files.writeString(run.resolve("idempotency-fixture.json"), """
                {"experiment": "idempotency", "description": "Retries and keys.",
                 "nginx": {"ran": true},
                 "scenarios": [{"part": 1, "request": "POST /comments", "idempotency_key": true, "retried_by": "client",
                   "ledger": {"requests": 10, "attempts": 12, "acknowledged": 10, "duplicate_rows": 0, "acknowledged_lost": 0,
                              "replayed": 2}, "nginx_retries": null}],
                 "checks": [{"statement": "keyed: stored exactly once", "passed": true, "invariant": true,
                             "measured": "0 duplicate rows"}]}
                """);
        Files.writeString(run.resolve("jmh-quick-fixture.json"), """
                [{"benchmark": "socklab.bench.DowncallBenchmark.getpid", "mode": "avgt", "forks": 1,
                  "measurementIterations": 5, "measurementTime": "1 s", "params": {"binding": "ffm"},
                  "primaryMetric": {"score": 52.5, "scoreError": 1.25, "scoreUnit": "ns/op"}}]
                """);
        Files.writeString(run.resolve("ffi-quick-fixture.txt"), "call     ffm\ngetpid   52.5 ns\n");

        ReportBuilder.Report report = ReportBuilder.build(run, results, "unused");

        assertEquals(results.resolve("report-fixture.md"), report.markdown());
        String md = Files.readString(report.markdown());
        for (String heading : List.of("# socklab bench report, fixture", "## Summary of findings", "## The machine",
                "## Balance: which worker gets each new connection", "## Overflow: a full accept queue and the SYNs it drops",
                "## Herd: wake-ups per accepted connection", "## Idempotency: retries, duplicates and Idempotency-Key",
                "## FFI cost per call", "## JMH benchmarks")) {
            assertTrue(md.contains("\n" + heading + "\n") || md.startsWith(heading + "\n"), "missing " + heading);
        }
        String summary = md.substring(md.indexOf("## Summary of findings"), md.indexOf("## The machine"));
        assertTrue(summary.contains("**Caution: the machine was busy.**") && summary.contains(": herd 30%."),
                "the busy run is named, the others not: " + summary);
        assertTrue(summary.contains("**Blocking accept()**: **reproduced**"), summary);
        assertTrue(summary.contains("**epoll + EPOLLEXCLUSIVE**: **not reproduced**"), "an even split is not a pile-up: " + summary);
        assertTrue(summary.contains("**Full accept queue**: **reproduced**"), summary);
        assertTrue(summary.contains("**Herd, epoll**: **reproduced**"), summary);
        assertTrue(md.contains("| socklab.bench.DowncallBenchmark.getpid".replace("socklab.bench.", "")), "JMH row");
        assertTrue(md.contains("getpid   52.5 ns"), "FFI table verbatim");
        assertTrue(md.contains("Not run here: cluster: --model cluster runs in worker processes"), "a skipped variant says why");
        assertTableRowsHaveNumbers(md);

        List<Path> svgs;
        try (var files = Files.list(run.resolve(ReportBuilder.CHARTS_DIR))) {
            svgs = files.sorted().toList();
        }
        assertEquals(List.of("balance-c1.svg", "herd-wakeups.svg", "overflow-connect-latency.svg", "overflow-queue.svg"),
                svgs.stream().map(p -> p.getFileName().toString()).toList());
        for (Path svg : svgs) {
            var doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                    .parse(new ByteArrayInputStream(Files.readString(svg).getBytes(StandardCharsets.UTF_8)));
            assertEquals("svg", doc.getDocumentElement().getTagName(), svg + " is an SVG document");
            assertTrue(md.contains("](20260101-000000-fixture/charts/" + svg.getFileName() + ")"), "the Markdown links " + svg);
        }
        String html = Files.readString(report.html());
        assertEquals(svgs.size(), count(html, "<svg "), "one inline <svg> per chart");
        assertTrue(html.contains("<h2>Summary of findings</h2>") && html.contains("<table>"), "headings and tables rendered");
        assertTrue(!html.contains("<img"), "charts are inline, not links");
    }

    private static <R> void write(Path run, Experiment<R> e, Environment env, Map<String, String> knobs, R result) {
        Params params = Params.of(e.knobs(), Profile.QUICK, knobs);
        double othersCpu = e instanceof HerdExperiment ? 0.3 : 0.0; // the herd ran on a busy machine
        ResultFile.of(e, params, env, Instant.parse("2026-01-01T00:00:00Z"), 1.5, othersCpu, result).write(run, params);
    }

    /**
     * Every result table is well-formed: each body row has as many cells as its header, no cell is
     * empty, null or NaN, and a cell after the first holds a number. Parameter and machine tables
     * (headers "parameter" and "") hold names, and are checked for shape only.
     */
    private static void assertTableRowsHaveNumbers(String md) {
        List<String> lines = md.lines().toList();
        int tables = 0;
        for (int i = 0; i + 1 < lines.size(); i++) {
            if (!lines.get(i).startsWith("|") || !lines.get(i + 1).startsWith("| ---")) {
                continue;
            }
            tables++;
            List<String> header = cells(lines.get(i));
            boolean names = header.getFirst().isEmpty() || header.getFirst().equals("parameter");
            for (int j = i + 2; j < lines.size() && lines.get(j).startsWith("|"); j++) {
                List<String> row = cells(lines.get(j));
                assertEquals(header.size(), row.size(), "row shape: " + lines.get(j));
                for (String cell : row) {
                    assertTrue(!cell.isEmpty() && !cell.equals("null") && !cell.contains("NaN"), "bad cell in " + lines.get(j));
                }
                assertTrue(names || row.subList(1, row.size()).stream().anyMatch(c -> c.matches(".*\\d.*")),
                        "a result row without a number: " + lines.get(j));
            }
        }
        assertTrue(tables >= 8, "tables found: " + tables);
    }

    private static List<String> cells(String row) {
        String inner = row.substring(1, row.length() - 1);
        return java.util.Arrays.stream(inner.split("(?<!\\\\)\\|", -1)).map(String::trim).toList();
    }

    private static int count(String s, String what) {
        Matcher m = Pattern.compile(Pattern.quote(what)).matcher(s);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
