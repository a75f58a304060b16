package socklab.report;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;

import socklab.experiment.Environment;
import socklab.experiment.Experiment;
import socklab.experiment.Experiments;
import socklab.experiment.Params;
import socklab.experiment.Profile;
import socklab.experiment.ResultFile;
import socklab.report.Finding.Verdict;

/**
 * Builds the report of one bench run from the files in its run directory alone: the experiments'
 * result files (each rendered by the experiment of that name), the idempotency experiment's file,
 * JMH's JSON ({@code jmh-*.json}), the FFI table ({@code ffi-*.txt}) and the side-by-side table of
 * {@code make bench-peers} (JSON of kind {@value #PEERS_KIND}). Writes
 * {@code report-SHA.md} and {@code report-SHA.html} into the output directory and the charts, as SVG
 * files, into {@code RUN/charts/}; the HTML carries the charts inline and stands alone.
 *
 * <p>The summary at the top lists every finding, each computed by its experiment from this run's
 * numbers and, where a reference fact exists, marked reproduced or not reproduced.
 */
public final class ReportBuilder {
    private ReportBuilder() {}

    public static final String CHARTS_DIR = "charts";
    /** The {@code kind} of the JSON that {@code make bench-peers} writes (socklab.peers.BenchPeersCommand). */
    public static final String PEERS_KIND = "socklab.bench-peers";

    /** The two files written. */
    public record Report(Path markdown, Path html, List<ReportSection> sections) {}

    private record Loaded(String name, Path file, ResultFile result, JsonNode raw) {}

    public static Report build(Path runDir, Path outDir, String fallbackSha) {
        List<Loaded> results = new ArrayList<>();
        List<JsonNode> jmh = new ArrayList<>();
        List<String> ffi = new ArrayList<>();
        List<JsonNode> peers = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (Path file : files(runDir)) {
            String name = file.getFileName().toString();
            if (name.startsWith("jmh-") && name.endsWith(".json")) {
                jmh.add(readTree(file));
            } else if (name.startsWith("ffi-") && name.endsWith(".txt")) {
                ffi.add(read(file));
            } else if (name.endsWith(".json")) {
                JsonNode doc = readTree(file);
                if (doc.isObject() && doc.path("kind").asText().equals(PEERS_KIND)) {
                    peers.add(doc);
                } else if (doc.isObject() && doc.hasNonNull("experiment")) {
                    results.add(new Loaded(doc.get("experiment").asText(), file,
                            doc.has("result") ? ResultFile.JSON.convertValue(doc, ResultFile.class) : null, doc));
                } else {
                    skipped.add(name);
                }
            }
        }
        results.sort(Comparator.comparingInt(ReportBuilder::order));
        String sha = results.stream().filter(l -> l.result != null).map(l -> l.result.environment().gitSha()).findFirst()
                .orElse(fallbackSha);
        Path chartsDir = runDir.resolve(CHARTS_DIR);
        Charts charts = new Charts(outDir.toAbsolutePath().normalize().relativize(chartsDir.toAbsolutePath().normalize()).toString());

        List<ReportSection> sections = new ArrayList<>();
        for (Loaded l : results) {
            sections.add(section(l, charts));
        }
        if (!peers.isEmpty()) {
            sections.add(ExternalParts.peers(peers));
        }
        if (!ffi.isEmpty()) {
            sections.add(ExternalParts.ffi(ffi));
        }
        if (!jmh.isEmpty()) {
            sections.add(ExternalParts.jmh(jmh));
        }
        String title = "socklab bench report, " + sha;
        String md = markdown(title, runDir, results, sections, skipped);
        Map<String, String> svgByLink = new LinkedHashMap<>();
        try {
            Files.createDirectories(chartsDir);
            Files.createDirectories(outDir);
            for (Charts.Chart c : charts.all()) {
                Files.writeString(chartsDir.resolve(c.id() + ".svg"), c.svg());
                svgByLink.put(charts.link(c.id()), c.svg());
            }
            Path mdFile = outDir.resolve("report-" + sha + ".md");
            Path htmlFile = outDir.resolve("report-" + sha + ".html");
            Files.writeString(mdFile, md);
            Files.writeString(htmlFile, Html.page(title, md, svgByLink));
            return new Report(mdFile, htmlFile, sections);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report into " + outDir + ": " + e.getMessage(), e);
        }
    }

    /** Registry experiments in their order, then the rest by name. */
    private static int order(Loaded l) {
        for (int i = 0; i < Experiments.ALL.size(); i++) {
            if (Experiments.ALL.get(i).name().equals(l.name)) {
                return i;
            }
        }
        return Experiments.ALL.size();
    }

    private static ReportSection section(Loaded l, Charts charts) {
        Optional<Experiment<?>> experiment = Experiments.byName(l.name);
        if (experiment.isPresent() && l.result != null) {
            return render(experiment.get(), l.result, charts);
        }
        if (l.name.equals("idempotency")) {
            return ExternalParts.idempotency(l.raw);
        }
        return new ReportSection(l.name, "No renderer for this result in this build of socklab; the file is `"
                + l.file.getFileName() + "`.\n\n", List.of());
    }

    private static <R> ReportSection render(Experiment<R> e, ResultFile file, Charts charts) {
        Params params = Params.of(e.knobs(), Profile.byName(file.profile()), file.parameters());
        ReportSection s = e.report(file.result(e.resultType()), params, charts);
        String head = file.description() + "\n\n" + Markdown.table(List.of("parameter", "value"), file.parameters().entrySet()
                .stream().map(p -> List.of("`--" + p.getKey() + "`", p.getValue())).toList())
                + "Ran " + file.seconds() + " s from " + file.startedAt() + " (profile " + file.profile() + ") in the "
                + file.environment().countersScope() + ".\n\n";
        StringBuilder findings = new StringBuilder();
        s.findings().forEach(f -> findings.append("- ").append(f.markdownWithCriterion()).append('\n'));
        String how = ExternalParts.fields(ResultFile.JSON.valueToTree(file.fields()));
        return new ReportSection(s.title(), head + s.markdown() + (findings.isEmpty() ? "" : "Findings:\n\n" + findings + "\n")
                + how, s.findings());
    }

    private static String markdown(String title, Path runDir, List<Loaded> results, List<ReportSection> sections, List<String> skipped) {
        StringBuilder md = new StringBuilder("# ").append(title).append("\n\n");
        Optional<Environment> env = results.stream().filter(l -> l.result != null).map(l -> l.result.environment()).findFirst();
        md.append("Every number below was measured in this run (raw files in `").append(runDir).append("`); ")
                .append("each section says how. ");
        env.ifPresent(e -> md.append("Machine: ").append(e.describe()).append(". "));
        md.append("The load generator and the servers run on the same cores, so rates are the pair's.\n\n");
        md.append("## Summary of findings\n\n");
        busy(results).ifPresent(md::append);
        List<Finding> all = sections.stream().flatMap(s -> s.findings().stream()).toList();
        long reproduced = all.stream().filter(f -> f.verdict() == Verdict.REPRODUCED).count();
        long not = all.stream().filter(f -> f.verdict() == Verdict.NOT_REPRODUCED).count();
        md.append(String.format("%d findings compared with a reference fact: %d reproduced, %d not reproduced; %d measured "
                + "without a reference.%n%n", reproduced + not, reproduced, not, all.size() - reproduced - not));
        all.forEach(f -> md.append("- ").append(f.markdown()).append('\n'));
        md.append('\n');
        env.ifPresent(e -> md.append(machine(e, results)));
        for (ReportSection s : sections) {
            md.append("## ").append(s.title()).append("\n\n").append(s.markdown());
        }
        if (!skipped.isEmpty()) {
            md.append("Files in the run directory that are not results: ").append(String.join(", ", skipped)).append(".\n");
        }
        return md.toString();
    }

    /** Above this share of the CPUs used by other processes during an experiment, the summary cautions. */
    static final double BUSY = 0.10;

    /** A caution when other processes used more than {@link #BUSY} of the CPUs while an experiment ran. */
    private static Optional<String> busy(List<Loaded> results) {
        List<String> busy = results.stream().filter(l -> l.result != null && l.result.othersCpu() > BUSY)
                .map(l -> l.name + " " + Math.round(l.result.othersCpu() * 100) + "%").toList();
        return busy.isEmpty() ? Optional.empty() : Optional.of("**Caution: the machine was busy.** Other processes used "
                + "this share of the CPUs while these experiments ran: " + String.join(", ", busy) + ". They competed with "
                + "the servers and the load generator, which skews rates, latencies and wake-up orders: rerun on an idle "
                + "machine before citing those numbers.\n\n");
    }

    private static String machine(Environment e, List<Loaded> results) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("kernel", "Linux " + e.kernel()));
        rows.add(List.of("CPUs", e.cpus() + " × " + e.cpuModel()));
        rows.add(List.of("memory", e.memTotal()));
        rows.add(List.of("JDK", e.jdk()));
        rows.add(List.of("socklab", "git " + e.gitSha()));
        e.sysctls().forEach((k, v) -> rows.add(List.of("`" + k + "`", v)));
        StringBuilder md = new StringBuilder("## The machine\n\n").append(Markdown.table(List.of("", ""), rows));
        md.append("The `net.*` values are read inside the first experiment's network namespace. Per experiment:\n\n");
        List<List<String>> runs = new ArrayList<>();
        for (Loaded l : results) {
            if (l.result != null) {
                Environment x = l.result.environment();
                runs.add(List.of(l.name, l.result.profile(), Markdown.num(l.result.seconds(), 1) + " s",
                        x.ownNetns() ? "own (" + x.netns() + ")" : "shared with the host", x.loadAverage(),
                        Math.round(l.result.othersCpu() * 100) + "%"));
            }
        }
        return md.append(Markdown.table(List.of("experiment", "profile", "wall time", "network namespace", "load average at start",
                "CPU used by other processes"), runs))
                .append("CPU used by other processes: the user, nice and system time of all CPUs in /proc/stat, less the "
                        + "experiment JVM's own CPU time, over all CPUs' time during the run.\n\n").toString();
    }

    private static List<Path> files(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the run directory " + dir + ": " + e.getMessage(), e);
        }
    }

    private static JsonNode readTree(Path file) {
        try {
            return ResultFile.JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + " as JSON: " + e.getMessage(), e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
