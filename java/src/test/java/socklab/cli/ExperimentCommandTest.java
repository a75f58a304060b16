package socklab.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import socklab.experiment.ResultFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExperimentCommandTest {
    @TempDir
    Path dir;

    @Test
    void everyExperimentOfTheRegistryHasItsSubcommandAndAllListsThem() {
        CliRun help = CliRun.of("experiment", "--help");
        assertEquals(0, help.exit());
        for (String name : List.of("balance", "slow-worker", "overflow", "herd", "throughput", "all", "idempotency")) {
            assertTrue(help.out().contains("  " + name + " ") || help.out().contains("  " + name + "\n"), name + " in:\n" + help.out());
        }
        CliRun knobs = CliRun.of("experiment", "overflow", "--help");
        assertTrue(knobs.out().contains("--backlog=N") && knobs.out().contains("quick: 4"), knobs.out());
    }

    @Test
    void badKnobsAreUsageErrorsNamingTheOption() {
        CliRun zero = CliRun.of("experiment", "balance", "--workers", "0");
        assertEquals(2, zero.exit());
        assertTrue(zero.firstErrorLine().contains("--workers must be a whole number of at least 1, not '0'"), zero.err());
        CliRun unknown = CliRun.of("experiment", "herd", "--accept", "blocking,nope");
        assertEquals(2, unknown.exit());
        assertTrue(unknown.firstErrorLine().contains("--accept: unknown 'nope'") && unknown.firstErrorLine().contains("exclusive"),
                unknown.err());
        CliRun duration = CliRun.of("experiment", "throughput", "--duration", "soon");
        assertEquals(2, duration.exit());
        assertTrue(duration.firstErrorLine().contains("--duration: 'soon' is not a duration"), duration.err());
        CliRun profile = CliRun.of("experiment", "herd", "--profile", "huge");
        assertEquals(2, profile.exit());
        assertTrue(profile.firstErrorLine().contains("unknown profile 'huge'"), profile.err());
        CliRun skip = CliRun.of("experiment", "all", "--skip", "nope");
        assertEquals(2, skip.exit());
        assertTrue(skip.firstErrorLine().contains("--skip: no experiment 'nope'"), skip.err());
        CliRun report = CliRun.of("report", "--run", dir.resolve("missing").toString());
        assertEquals(2, report.exit());
        assertTrue(report.firstErrorLine().contains("is not a directory"), report.err());
    }

    /**
     * As root the run moves into a network namespace of its own (a child JVM under unshare --net) and
     * its file says so; otherwise it runs here and says its counters are shared.
     */
    @Test
    void anExperimentRunWritesItsFileFromItsOwnNetworkNamespaceWhenRoot() throws IOException {
        CliRun run = CliRun.of("experiment", "herd", "--accept", "blocking", "--waiters", "2", "--connections", "3",
                "--results", dir.toString());
        assertEquals(0, run.exit(), run.err());
        assertTrue(run.out().contains("results: "), "the run's output, from a child JVM or not, comes through: " + run.out());
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.sorted((a, b) -> Boolean.compare(b.toString().endsWith(".json"), a.toString().endsWith(".json"))).toList();
        }
        assertEquals(2, files.size(), "the JSON and its CSV: " + files);
        String name = files.getFirst().getFileName().toString();
        assertTrue(name.startsWith("herd-acceptblocking-waiters2-connections3-") && name.endsWith(".json"), name);
        assertEquals(name.replace(".json", "-modes.csv"), files.get(1).getFileName().toString());
        List<String> csv = Files.readAllLines(files.get(1));
        assertEquals("accept,waiters,connections,wakeups_per_accept,eagain_per_accept,woken_waiters_per_accept", csv.getFirst());
        assertTrue(csv.get(1).startsWith("blocking,2,3,"), csv.toString());
        ResultFile file = ResultFile.read(files.getFirst());
        boolean root = Files.readString(Path.of("/proc/self/status")).lines().filter(l -> l.startsWith("Uid:"))
                .anyMatch(l -> l.split("\\s+")[2].equals("0"));
        assertEquals(root, file.environment().ownNetns(), file.environment().countersScope());
        assertEquals(3, file.result().path("modes").get(0).path("connections").asInt());
    }
}
