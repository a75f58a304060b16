package socklab.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import socklab.experiment.IdempotencyExperiment.Result;
import socklab.experiment.IdempotencyExperiment.Scenario;
import socklab.idem.FaultPlan;
import socklab.server.Model;

/**
 * The whole experiment at small scale, run once: counts, not timings. Faults are seeded, so the
 * same ones happen on every run; the timeouts they cause have a 5x margin (1 s delay against a
 * 200 ms timeout). A request that is merely slow on a loaded machine can time out too: that adds a
 * retry, so the assertions bound duplicates from below without a key and fix them at 0 with one.
 *
 * <p>Part 2 needs nginx: .ci/run installs it, so under CI a missing nginx fails the test; elsewhere
 * the nginx test is skipped, saying how to install it.
 */
class IdempotencyExperimentTest {
    private static final int REQUESTS = 24;

    @TempDir
    static Path work;

    private static IdempotencyExperiment.Settings settings;
    private static Result result;

    @BeforeAll
    static void runOnce() throws InterruptedException {
        Optional<Path> nginx = Nginx.binary();
        if (nginx.isEmpty() && System.getenv("CI") != null) {
            fail("nginx is missing under CI, where .ci/run installs it: " + Nginx.INSTALL_HINT);
        }
        settings = new IdempotencyExperiment.Settings(REQUESTS, 7, new FaultPlan(0.25, 0.15, Duration.ofSeconds(1), 7),
                Duration.ofMillis(200), Duration.ofMillis(200), Model.DISPATCHER_WORKERS, 4, 3, nginx);
        result = IdempotencyExperiment.run(settings, work.resolve("run"), new PrintWriter(new StringWriter()));
    }

    private static List<Scenario> part(int part) {
        return result.scenarios().stream().filter(s -> s.part() == part).toList();
    }

    private static void everyAcknowledgedStoredOnce(Scenario s) {
        Ledger l = s.ledger();
        assertEquals(0, l.duplicateRows(), s.toString());
        assertEquals(0, l.acknowledgedLost(), s.toString());
        assertEquals(REQUESTS, l.storedOnce() + l.unacknowledgedMissing(), s.toString());
    }

    @Test
    void clientRetriesDuplicateWithoutKeyAndNeverWithOne() {
        Scenario noKey = part(1).get(0);
        Scenario keyed = part(1).get(1);
        long faults = noKey.injectedDrops() + noKey.injectedDelays();
        assertTrue(faults > 0, "the seed gives faults: " + noKey);
        assertEquals(REQUESTS, noKey.ledger().acknowledged(), noKey.toString());
        assertTrue(noKey.ledger().duplicateRows() >= faults, "each fault made its retry insert again: " + noKey);
        assertEquals(0, noKey.ledger().acknowledgedLost());

        assertEquals(REQUESTS, keyed.ledger().acknowledged(), keyed.toString());
        everyAcknowledgedStoredOnce(keyed);
        long keyedFaults = keyed.injectedDrops() + keyed.injectedDelays();
        assertTrue(keyedFaults > 0 && keyed.ledger().replayed() >= keyedFaults, "each faulted request ended in a replay: " + keyed);
    }

    @Test
    void nginxRetriesTheGetAlwaysAndPostOnlyWithNonIdempotentAndTheKeyStopsDuplicates() {
        Assumptions.assumeTrue(settings.nginx().isPresent(), Nginx.INSTALL_HINT);
        assertEquals(null, result.nginxSkipped());
        List<Scenario> p = part(2);
        assertEquals(4, p.size());
        Scenario get = p.get(0);
        Scenario post = p.get(1);
        Scenario postRetried = p.get(2);
        Scenario postKeyed = p.get(3);
        assertEquals("GET /comments/add", get.request());
        assertEquals("error timeout", get.retriedBy());
        assertTrue(get.nginxRetries() > 0, get.toString());
        assertTrue(get.ledger().duplicateRows() > 0 && get.ledger().duplicateRows() <= get.nginxRetries(), get.toString());

        assertEquals("error timeout", post.retriedBy());
        assertEquals(0, post.nginxRetries(), "nginx does not retry a POST by default: " + post);
        assertEquals(0, post.ledger().duplicateRows());
        assertTrue(post.ledger().unacknowledgedStored() >= post.injectedDrops() + post.injectedDelays()
                && post.ledger().unacknowledgedStored() > 0, "the client got 502/504 for stored comments: " + post);

        assertEquals("error timeout non_idempotent", postRetried.retriedBy());
        assertTrue(postRetried.nginxRetries() > 0, postRetried.toString());
        assertTrue(postRetried.ledger().duplicateRows() > 0, postRetried.toString());

        assertEquals("error timeout non_idempotent", postKeyed.retriedBy());
        assertTrue(postKeyed.nginxRetries() > 0, postKeyed.toString());
        everyAcknowledgedStoredOnce(postKeyed);
        assertTrue(postKeyed.ledger().replayed() > 0, "the other backend replayed what the first stored: " + postKeyed);
    }

    @Test
    void killMinus9HalfwayLosesAndDoublesNothing() {
        Scenario crash = part(3).getFirst();
        assertEquals(REQUESTS, crash.ledger().acknowledged(), crash.toString());
        everyAcknowledgedStoredOnce(crash);
        assertTrue(crash.ledger().endings().keySet().stream().allMatch(e -> e.equals("201")), crash.toString());
    }

    @Test
    void tableAndJsonDescribeEveryScenario() throws Exception {
        List<String> table = IdempotencyReport.table(result);
        for (Scenario s : result.scenarios()) {
            assertTrue(table.stream().anyMatch(l -> l.startsWith(s.part() + " ") && l.contains(s.retriedBy())), s.name());
        }
        assertTrue(IdempotencyReport.invariantsHold(result), String.join("\n", table));

        Path file = IdempotencyReport.writeJson(settings, result, work.resolve("results"), "abc1234", Instant.EPOCH);
        assertEquals("idempotency-abc1234-19700101-000000.json", file.getFileName().toString());
        JsonNode doc = new ObjectMapper().readTree(Files.readString(file));
        assertEquals("idempotency", doc.get("experiment").asText());
        assertEquals(result.scenarios().size(), doc.get("scenarios").size());
        assertEquals(REQUESTS, doc.get("settings").get("requests_per_scenario").asInt());
        JsonNode first = doc.get("scenarios").get(0);
        assertEquals(result.scenarios().getFirst().ledger().duplicateRows(), first.get("ledger").get("duplicate_rows").asInt());
        first.get("ledger").fieldNames().forEachRemaining(name ->
                assertTrue(doc.get("fields").has("scenarios[].ledger." + name), "field " + name + " is described"));
        for (JsonNode check : doc.get("checks")) {
            assertTrue(!check.get("invariant").asBoolean() || check.get("passed").asBoolean(), check.toString());
        }
    }
}
