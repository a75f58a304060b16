package socklab.peers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The table's arithmetic on made-up runs: medians, spread, ratios, goals, and rows for peers that did not run. */
class PeerTableTest {
    private static final double EPS = 1e-9;

    private static Loader.Measurement rate(double rps) {
        return new Loader.Measurement(rps, 100, 900, (long) rps, 0, null);
    }

    private static PeerBench.Result result(List<PeerBench.Entry> entries, List<PeerBench.Sample> samples, List<String> skippedLoaders,
                                           List<Loader> ran) {
        PeerBench.Settings settings = new PeerBench.Settings(new Loader.Shape(64, 2, Duration.ofSeconds(5)), Duration.ZERO, 3,
                entries.stream().map(e -> e.peer).toList(), List.of(Loader.WRK, Loader.SOCKLAB), "127.0.0.1");
        return new PeerBench.Result(settings, entries, ran, skippedLoaders, samples, new double[3], new double[3], Instant.EPOCH,
                Duration.ZERO, "wrk test", "nginx test");
    }

    private static PeerBench.Entry entry(String id) {
        return new PeerBench.Entry(Peer.all(2).stream().filter(p -> p.id().equals(id)).findFirst().orElseThrow());
    }

    private static void runs(List<PeerBench.Sample> into, String peer, Loader loader, double... rates) {
        for (int i = 0; i < rates.length; i++) {
            into.add(new PeerBench.Sample(peer, loader, i + 1, 1.5, rate(rates[i]), null));
        }
    }

    @Test
    void rowsCarryMedianSpreadAndRatiosAndTheGoalsAreJudgedOnWrk() {
        List<PeerBench.Entry> entries = List.of(entry("socklab-reuseport"), entry("c-reuseport"), entry("netty-reuseport"),
                entry("nginx-2w-reuseport"));
        List<PeerBench.Sample> samples = new ArrayList<>();
        runs(samples, "socklab-reuseport", Loader.WRK, 90, 110, 100);
        runs(samples, "socklab-reuseport", Loader.SOCKLAB, 80, 80, 80);
        runs(samples, "c-reuseport", Loader.WRK, 125, 120, 130);
        runs(samples, "netty-reuseport", Loader.WRK, 95, 95, 95);
        runs(samples, "nginx-2w-reuseport", Loader.WRK, 100, 101, 99);
        PeerTable.Table t = PeerTable.of(result(entries, samples, List.of(), List.of(Loader.WRK, Loader.SOCKLAB)));

        PeerTable.Row socklabWrk = t.rows().getFirst();
        assertEquals("socklab-reuseport", socklabWrk.server());
        assertEquals("wrk", socklabWrk.loader());
        assertEquals(100, socklabWrk.requestsPerSecond(), EPS);
        assertEquals(90, socklabWrk.min(), EPS);
        assertEquals(110, socklabWrk.max(), EPS);
        assertEquals(20, socklabWrk.spreadPercent(), EPS);
        assertEquals(1.0, socklabWrk.vsNginxReuseport(), EPS);
        assertEquals(100.0 / 125, socklabWrk.vsCReuseport(), EPS);
        assertNull(socklabWrk.loadVsWrk(), "load/wrk belongs to the socklab load row");
        PeerTable.Row socklabLoad = t.rows().get(1);
        assertEquals(0.8, socklabLoad.loadVsWrk(), EPS);
        assertNull(socklabLoad.vsNginxReuseport(), "nginx had no socklab load runs: no ratio");

        assertEquals(List.of("1.00x: met", "1.05x: missed", "0.80x: missed"), t.goals().stream().map(PeerTable.Goal::verdict).toList());
        assertEquals("c-reuseport", t.goals().get(2).reference());
        String text = PeerTable.text(t, result(entries, samples, List.of(), List.of(Loader.WRK, Loader.SOCKLAB)));
        assertTrue(text.contains("goal socklab's best >= 1.1x Netty"), text);
    }

    @Test
    void peersAndLoadersThatDidNotRunAreRowsThatSaySoAndGoalsWithoutThemAreNotJudged() {
        PeerBench.Entry nginx = entry("nginx-2w-reuseport");
        nginx.status = "skipped";
        nginx.reason = "not installed: apt-get install -y nginx";
        PeerBench.Entry netty = entry("netty-reuseport");
        netty.status = "failed";
        netty.reason = "netty-reuseport exited with 1 before listening: boom";
        List<PeerBench.Sample> samples = new ArrayList<>();
        runs(samples, "socklab-single", Loader.SOCKLAB, 70, 75);
        PeerTable.Table t = PeerTable.of(result(List.of(entry("socklab-single"), netty, nginx), samples,
                List.of("wrk: not installed (apt-get install -y wrk)"), List.of(Loader.SOCKLAB)));

        assertEquals(6, t.rows().size(), "every server under every loader: " + t.rows());
        PeerTable.Row wrkRow = t.rows().getFirst();
        assertEquals("skipped", wrkRow.status());
        assertTrue(wrkRow.note().contains("apt-get install -y wrk"), wrkRow.note());
        assertEquals(72.5, t.rows().get(1).requestsPerSecond(), EPS, "median of an even count: the mean of the middle two");
        assertEquals("skipped", t.rows().get(2).status(), "a skipped loader wins over a failed server");
        assertEquals("failed", t.rows().get(3).status());
        assertTrue(t.rows().get(3).note().contains("boom"));
        assertEquals("skipped", t.rows().get(5).status());
        assertTrue(t.goals().stream().allMatch(g -> g.ratio() == null && g.verdict().startsWith("not judged")), t.goals().toString());
        assertEquals("socklab load", t.goals().getFirst().loader(), "without wrk, the goals fall to socklab load");
    }
}
