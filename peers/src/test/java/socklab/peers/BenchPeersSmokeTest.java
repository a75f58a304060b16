package socklab.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import picocli.CommandLine;
import socklab.report.ReportBuilder;

/**
 * {@code bench} at the smallest scale, in two parts so that it stays quick. First every peer with
 * socklab load alone (200 ms runs, one round, no warm-up, 4 connections): each starts, answers GET /
 * with 200 and hello, is measured without an error, and stops cleanly on SIGTERM; the table and the
 * JSON have a row for every server. Then wrk next to socklab load on two peers (1 s, wrk's smallest
 * run): the wrk rows, the load/wrk ratio and the goals. A peer or loader that cannot run here (nginx or
 * wrk not installed, cserver not built) must be a row marked skipped that names the install command;
 * .ci/run installs them, so in CI every row is measured.
 */
class BenchPeersSmokeTest {
    private static final int WORKERS = 2;

    @TempDir
    Path results;

    @Test
    void everyPeerStartsAnswersIsMeasuredStopsAndHasItsRow() throws Exception {
        JsonNode doc = bench("peers-c4-t1-d200ms-r1-smoke.json", "--loaders", "socklab", "--duration", "200ms");
        List<Peer> peers = Peer.all(WORKERS);
        List<String> ids = new ArrayList<>();
        doc.get("servers").forEach(s -> ids.add(s.get("id").asText()));
        assertEquals(peers.stream().map(Peer::id).toList(), ids, "one entry per server, in order");
        for (int i = 0; i < peers.size(); i++) {
            Peer peer = peers.get(i);
            JsonNode s = doc.get("servers").get(i);
            if (s.get("status").asText().equals("skipped")) {
                assertTrue(peer.family().install != null && s.get("reason").asText().contains(peer.family().install),
                        peer.id() + " skipped without its install command: " + s);
            } else {
                assertEquals("measured", s.get("status").asText(), peer.id() + ": " + s);
                assertTrue(s.get("response_head").asText().startsWith("HTTP/1.1 200 OK\n"), peer.id() + " answered " + s);
                assertTrue(PeerProcess.cleanStop(s.get("stopped").asText()), peer.id() + " stopped: " + s.get("stopped"));
            }
            checkRow(doc, peer, Loader.SOCKLAB, s.get("status").asText().equals("skipped"));
        }
        assertEquals(3, doc.get("goals").size(), "the three goals, judged or not: " + doc.get("goals"));

        // make bench's report renders the file from the run directory alone: a section with a row per server
        String report = Files.readString(ReportBuilder.build(results, results.resolve("report"), "smoke").markdown());
        assertTrue(report.contains("## socklab next to nginx, Netty, JDK NIO and a C server"), report);
        for (Peer peer : peers) {
            assertTrue(report.lines().anyMatch(l -> l.startsWith("| " + peer.id() + " |")), "a report row for " + peer.id() + ":\n" + report);
        }
    }

    @Test
    void wrkAndSocklabLoadMeasureTheSameServersAndTheRatioIsReported() throws Exception {
        JsonNode doc = bench("peers-c4-t1-d1s-r1-smoke.json", "--servers", "c-single,nginx-1w", "--duration", "1s");
        boolean wrkSkipped = !doc.get("skipped_loaders").isEmpty();
        for (JsonNode s : doc.get("servers")) {
            Peer peer = Peer.select(s.get("id").asText(), WORKERS).getFirst();
            boolean skipped = s.get("status").asText().equals("skipped");
            checkRow(doc, peer, Loader.WRK, skipped || wrkSkipped);
            JsonNode load = checkRow(doc, peer, Loader.SOCKLAB, skipped);
            if (!skipped && !wrkSkipped) {
                assertTrue(load.get("loadVsWrk").asDouble() > 0, "socklab load over wrk: " + load);
            }
        }
    }

    /** Runs bench with the smoke settings and {@code more}; checks the exit code and the table; returns the JSON. */
    private JsonNode bench(String json, String... more) throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = PeersMain.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        List<String> args = new ArrayList<>(List.of("bench", "--rounds", "1", "--warmup", "0", "--connections", "4",
                "--threads", "1", "--workers", Integer.toString(WORKERS), "--root", System.getProperty("socklab.root", ".."),
                "--results", results.toString(), "--git-sha", "smoke"));
        args.addAll(List.of(more));
        int code = cli.execute(args.toArray(String[]::new));
        assertEquals(0, code, "exit code; stdout:\n" + out + "\nstderr:\n" + err);
        JsonNode doc = new ObjectMapper().readTree(results.resolve(json).toFile());
        assertEquals(BenchPeersCommand.KIND, doc.get("kind").asText());
        for (JsonNode s : doc.get("servers")) {
            String id = s.get("id").asText();
            assertTrue(out.toString().lines().anyMatch(l -> l.startsWith(id + " ")), "a table line for " + id + ":\n" + out);
        }
        return doc;
    }

    /** The one row of {@code peer} under {@code loader}: skipped with an install command, or measured without an error. */
    private static JsonNode checkRow(JsonNode doc, Peer peer, Loader loader, boolean skipped) {
        List<JsonNode> rows = new ArrayList<>();
        doc.get("rows").forEach(r -> {
            if (r.get("server").asText().equals(peer.id()) && r.get("loader").asText().equals(loader.label)) {
                rows.add(r);
            }
        });
        assertEquals(1, rows.size(), "rows for " + peer.id() + " under " + loader.label);
        JsonNode row = rows.getFirst();
        if (skipped) {
            assertEquals("skipped", row.get("status").asText(), row.toString());
            String note = row.get("note").asText();
            assertTrue(note.contains("apt-get install -y") || note.contains("make native"), row.toString());
        } else {
            assertEquals(1, row.get("runs").asInt(), row.toString());
            assertTrue(row.get("requestsPerSecond").asDouble() > 0, row.toString());
            assertEquals(0, row.get("errors").asLong(), "requests that did not end in 200: " + row);
        }
        return row;
    }
}
