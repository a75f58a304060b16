package socklab.kernel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import socklab.sys.Fd;
import socklab.sys.Loopback;
import socklab.sys.SocketOption;
import socklab.sys.Sockets;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sampler's time series: every listener of a port, attributed to its worker, exported for reports. */
class QueueSamplerTest {

    @Test
    void samplesEachReuseportListenerUnderItsWorkerLabelAndExportsCsvAndJson(@TempDir Path dir) throws Exception {
        List<Integer> fds = new ArrayList<>();
        try {
            int worker0 = Loopback.listen(Loopback.V4, 8, 0, SocketOption.SO_REUSEPORT);
            fds.add(worker0);
            InetSocketAddress address = Sockets.localAddress(worker0);
            int worker1 = Sockets.listenTcp(address, 9, Sockets.SOCK_CLOEXEC, SocketOption.SO_REUSEPORT);
            fds.add(worker1);
            int unlabelled = Sockets.listenTcp(address, 10, Sockets.SOCK_CLOEXEC, SocketOption.SO_REUSEPORT);
            fds.add(unlabelled);
            Map<Long, String> labels = QueueSampler.labelsByFd(Map.of(worker0, "worker-0", worker1, "worker-1"));
            String ownerLabel = "java pid=" + ProcessHandle.current().pid() + " fd=" + unlabelled;

            QueueSample last;
            QueueSeries series;
            try (QueueSampler sampler = QueueSampler.start(address.getPort(), Duration.ofMillis(20), labels)) {
                for (int i = 0; i < 5; i++) {
                    fds.add(Loopback.connect(address));
                }
                // Wait (bounded) for a tick that saw all five connections queued over the three sockets.
                assertTrue(Loopback.await(() -> lastTickTotal(sampler.samples()) == 5, 10), "a tick with 5 queued: " + sampler.samples());
                last = sampler.samples().getLast();
                series = sampler.stop();
            }
            assertTrue(last.elapsedMs() > 0);
            assertEquals(Set.of("worker-0", "worker-1", ownerLabel),
                    series.samples().stream().map(QueueSample::label).collect(Collectors.toSet()));
            Map<String, Long> backlogs = series.samples().stream()
                    .collect(Collectors.toMap(QueueSample::label, QueueSample::backlog, (a, b) -> a));
            assertEquals(Map.of("worker-0", 8L, "worker-1", 9L, ownerLabel, 10L), backlogs, "each socket's own backlog");
            for (int i = 1; i < series.samples().size(); i++) {
                assertTrue(series.samples().get(i).elapsedMs() >= series.samples().get(i - 1).elapsedMs(), "samples in time order");
            }
            assertTrue(series.tcpCounterDeltas().containsKey("TcpExtListenOverflows"), series.tcpCounterDeltas().toString());
            assertTrue(series.tcpCounterDeltas().get("TcpPassiveOpens") >= 5, "our 5 handshakes at least: " + series.tcpCounterDeltas());
            assertTrue(series.netns().startsWith("net:["), series.netns());

            Path csv = dir.resolve("queues.csv");
            series.writeCsv(csv);
            List<String> lines = Files.readAllLines(csv);
            assertEquals("elapsedMs,label,inode,local,acceptQueue,backlog", lines.getFirst());
            QueueSample end = series.samples().getLast();
            assertEquals(String.join(",", String.valueOf(end.elapsedMs()), end.label(), String.valueOf(end.inode()), end.local(),
                    String.valueOf(end.acceptQueue()), String.valueOf(end.backlog())), lines.getLast());
            assertEquals(series.samples().size() + 1, lines.size());

            Path json = dir.resolve("queues.json");
            series.writeJson(json);
            JsonNode read = new ObjectMapper().readTree(json.toFile());
            assertEquals(address.getPort(), read.get("port").asInt());
            assertEquals(20, read.get("intervalMs").asInt());
            assertEquals(series.samples().size(), read.get("samples").size());
            assertEquals(series.samples().getFirst().label(), read.get("samples").get(0).get("label").asText());
        } finally {
            fds.forEach(Fd::closeQuietly);
        }
    }

    /** The queued connections summed over the sockets of the latest tick. */
    private static long lastTickTotal(List<QueueSample> samples) {
        if (samples.isEmpty()) {
            return -1;
        }
        double lastTick = samples.getLast().elapsedMs();
        return samples.stream().filter(s -> s.elapsedMs() == lastTick).mapToLong(QueueSample::acceptQueue).sum();
    }

    @Test
    void badArgumentsAreRejectedBeforeAnyThreadStarts() {
        IllegalArgumentException shortInterval = assertThrows(IllegalArgumentException.class,
                () -> QueueSampler.start(8080, Duration.ofNanos(10), Map.of()));
        assertEquals("sampling interval 0 ms is too short: give at least 1 ms", shortInterval.getMessage());
        IllegalArgumentException port = assertThrows(IllegalArgumentException.class,
                () -> QueueSampler.start(0, Duration.ofMillis(10), Map.of()));
        assertEquals("port 0 is out of range 1..65535", port.getMessage());
    }
}
