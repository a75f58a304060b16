package socklab.server;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import socklab.sys.Loopback;
import socklab.sys.SockAddr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The reuseport model as the kernel sees it: one listening socket per worker, and CPU steering. */
class ReuseportTest {

    @Test
    void fourWorkersAreFourListeningSocketsOnOnePort() throws Exception {
        ServerConfig config = ServerConfig.of(Model.REUSEPORT).withWorkers(4).withLimits(ServerContractTest.TEST_LIMITS);
        int port;
        try (Server server = Server.start(config)) {
            port = server.address().getPort();
            List<Loopback.SsListener> listeners = Loopback.ssListeners(port);
            assertEquals(4, listeners.size(), listeners.toString());
            for (Loopback.SsListener l : listeners) {
                assertEquals("127.0.0.1:" + port, l.local());
                assertEquals(ServerConfig.DEFAULT_BACKLOG, l.sendQ(), "ss's Send-Q of a listener is its backlog");
            }
        }
        assertTrue(Loopback.ssListeners(port).isEmpty(), "all four are closed with the server");
    }

    /**
     * With {@code --steer cpu} the BPF program picks socket {@code cpu % workers}. On loopback the SYN is
     * processed on the CPU of the connecting thread (no RPS on lo), so a curl pinned to CPU c lands on
     * worker {@code c % workers}, every time.
     */
    @Test
    void cpuSteeringSendsAConnectionToTheWorkerOfItsCpu() throws Exception {
        assumeTrue(Files.readString(Path.of("/sys/class/net/lo/queues/rx-0/rps_cpus")).trim().matches("0+(,0+)*"),
                "RPS is off on lo, so the SYN is handled on the sender's CPU");
        List<Integer> cpus = allowedCpus();
        int workers = cpus.size();
        ServerConfig config = ServerConfig.of(Model.REUSEPORT).withWorkers(workers).withSteer(Steer.CPU)
                .withLimits(ServerContractTest.TEST_LIMITS);
        try (Server server = Server.start(config)) {
            String url = "http://" + SockAddr.format(server.address()) + "/";
            for (int cpu : cpus) {
                for (int repeat = 0; repeat < 3; repeat++) {
                    assertEquals(Integer.toString(cpu % workers), workerOfCurlOn(cpu, url), "curl pinned to CPU " + cpu);
                }
            }
        }
    }

    /** Runs curl pinned to {@code cpu} and returns the X-Worker it saw. */
    private static String workerOfCurlOn(int cpu, String url) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("taskset", "--cpu-list", Integer.toString(cpu),
                "curl", "--silent", "--show-error", "--max-time", "20", "--dump-header", "-", "--output", "/dev/null", url)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, out);
        return out.lines().filter(l -> l.startsWith("X-Worker: ")).map(l -> l.substring(10).trim()).findFirst()
                .orElseThrow(() -> new AssertionError("no X-Worker in " + out));
    }

    /** The CPUs this process may run on, from Cpus_allowed_list ("0-3,8"). */
    private static List<Integer> allowedCpus() throws IOException {
        String list = Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("Cpus_allowed_list:")).findFirst().orElseThrow().split(":")[1].trim();
        List<Integer> cpus = new ArrayList<>();
        for (String range : list.split(",")) {
            String[] ends = range.split("-");
            for (int c = Integer.parseInt(ends[0]); c <= Integer.parseInt(ends[ends.length - 1]); c++) {
                cpus.add(c);
            }
        }
        return cpus;
    }
}
