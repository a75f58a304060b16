package socklab.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import socklab.report.Finding;
import socklab.sys.Loopback;

/**
 * The failover experiment at a small size (2 worker processes, 40 connections): every count is exact,
 * because the killed worker was stopped before the storm, so each connection the kernel steered to it
 * is in its queue when it dies, and the other worker answers every other one. Without migration the
 * queue is reset, one RST per connection; with net.ipv4.tcp_migrate_req=1 every one of them is
 * migrated (TCPMigrateReqSuccess counts them in the trial's own namespace) and answered; the shared
 * socket loses none. The chance that the kernel's hash steers none of 40 connections to the stopped
 * worker is 2^-40. Afterwards no namespace of this run may be left (the test deletes leftovers itself,
 * and fails).
 */
class FailoverExperimentTest {
    private static final String PREFIX = "socklab-failover-" + ProcessHandle.current().pid() + "-";

    @TempDir
    Path dir;

    @AfterEach
    void noNamespaceLeft() {
        List<String> left = ours();
        left.forEach(name -> Loopback.run("ip", "netns", "delete", name));
        assertEquals(List.of(), left, "network namespaces left behind");
    }

    private static List<String> ours() {
        return Loopback.run("ip", "netns", "list").stream().map(l -> l.split(" ")[0]).filter(n -> n.startsWith(PREFIX)).toList();
    }

    @Test
    void aDeadReuseportWorkersQueueIsResetOrMigratedAndASharedSocketLosesNone() throws Exception {
        String hostMigrateReq = Loopback.run("cat", "/proc/sys/net/ipv4/tcp_migrate_req").getFirst().strip();
        FailoverExperiment experiment = new FailoverExperiment();
        FailoverExperiment.Result r = Tiny.run(experiment, dir, "processes", "2", "connections", "40", "sleep-ms", "5",
                "backlog", "128", "timeout", "20s");
        List<FailoverTrial.Result> t = r.trials();
        assertEquals(3, t.size());

        FailoverTrial.Result reset = t.get(0);
        assertEquals("reuseport", reset.model());
        assertEquals(0, reset.migrateReq(), "read back in the trial's namespace");
        assertTrue(reset.victimQueue() > 0, reset.toString());
        assertEquals(reset.victimQueue(), reset.reset(), "every queued connection reset: " + reset);
        assertEquals(40 - reset.victimQueue(), reset.answered(), "and every other one answered: " + reset);
        assertEquals(0, reset.migrated());

        FailoverTrial.Result migrated = t.get(1);
        assertEquals("reuseport", migrated.model());
        assertEquals(1, migrated.migrateReq());
        assertTrue(migrated.victimQueue() > 0, migrated.toString());
        assertEquals(0, migrated.reset(), migrated.toString());
        assertEquals(40, migrated.answered(), migrated.toString());
        assertEquals(migrated.victimQueue(), migrated.migrated(), "the kernel counted each one it moved: " + migrated);

        FailoverTrial.Result shared = t.get(2);
        assertEquals("shared-accept", shared.model());
        assertEquals(0, shared.reset(), shared.toString());
        assertEquals(40, shared.answered(), shared.toString());

        for (FailoverTrial.Result trial : t) {
            assertEquals(0, trial.closedWithoutAnswer() + trial.otherAnswer() + trial.timedOut(), trial.toString());
        }
        assertTrue(experiment.findings(r).stream().allMatch(f -> f.verdict() == Finding.Verdict.of(true)),
                experiment.findings(r).toString());
        assertEquals(hostMigrateReq, Loopback.run("cat", "/proc/sys/net/ipv4/tcp_migrate_req").getFirst().strip(),
                "this namespace's tcp_migrate_req is untouched");
    }
}
