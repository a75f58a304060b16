package socklab.server;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import socklab.http.HttpRequest;
import socklab.http.HttpResponse;
import socklab.http.HttpStatus;
import socklab.http.Router;
import socklab.http.WorkerStats;

/**
 * The routes every socklab server answers:
 * <ul>
 * <li>{@code GET /}: {@code hello\n}, from a constant native segment (no allocation).</li>
 * <li>{@code GET /work?us=N}: burns N µs of CPU in the handler (at most {@value #MAX_WORK_MICROS}).</li>
 * <li>{@code GET /sleep?ms=N}: blocks the handling thread N ms (at most {@value #MAX_SLEEP_MILLIS}): the stuck worker.</li>
 * <li>{@code GET /stats}: JSON with every worker's id, role, thread, tid, pid and counters; in a worker
 *     process, those of every process of the group.</li>
 * </ul>
 */
final class LabRoutes {
    private LabRoutes() {}

    static final long MAX_WORK_MICROS = 1_000_000;
    static final long MAX_SLEEP_MILLIS = 10_000;

    private static final MemorySegment HELLO = Arena.global().allocate(6).copyFrom(MemorySegment.ofArray("hello\n".getBytes()));
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Where /work's arithmetic goes, so that the JIT cannot drop it. */
    private static volatile long sink;

    static Router router(Server server) {
        return new Router()
                .get("/", (request, response) -> response.contentType("text/plain").body(HELLO))
                .get("/work", LabRoutes::work)
                .get("/sleep", LabRoutes::sleep)
                .get("/stats", (request, response) -> stats(server, response));
    }

    /** {@code /work}'s {@code us}, capped: one request cannot hold a thread's CPU longer than {@value #MAX_WORK_MICROS} µs. */
    static long workMicros(HttpRequest request) {
        return Math.min(request.queryLong("us", 0), MAX_WORK_MICROS);
    }

    /** {@code /sleep}'s {@code ms}, capped: one request cannot hold a thread longer than {@value #MAX_SLEEP_MILLIS} ms. */
    static long sleepMillis(HttpRequest request) {
        return Math.min(request.queryLong("ms", 0), MAX_SLEEP_MILLIS);
    }

    private static void work(HttpRequest request, HttpResponse response) {
        long micros = workMicros(request);
        long deadline = System.nanoTime() + micros * 1000;
        long x = deadline;
        while (System.nanoTime() - deadline < 0) {
            for (int i = 0; i < 64; i++) { // xorshift: real ALU work between clock reads
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
            }
        }
        sink = x;
        response.text("worked " + micros + " us\n");
    }

    private static void sleep(HttpRequest request, HttpResponse response) {
        long millis = sleepMillis(request);
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            response.error(HttpStatus.SERVICE_UNAVAILABLE, "interrupted while sleeping");
            return;
        }
        response.text("slept " + millis + " ms\n");
    }

    /** One worker in /stats; counters as {@link WorkerStats} defines them. */
    record WorkerView(String id, String role, String thread, long tid, long pid, long accepted, long connections,
                      long requests, @JsonProperty("bytes_in") long bytesIn, @JsonProperty("bytes_out") long bytesOut,
                      @JsonProperty("accept_eagain") long acceptEagain) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record StatsView(String model, String accept, String steer, String binding, long pid, Integer processes,
                     List<WorkerView> workers) {}

    /** This process's pid in {@code pid}; each worker's own, which differ when the server is one process of a group. */
    private static void stats(Server server, HttpResponse response) {
        ServerConfig c = server.config();
        List<WorkerView> workers = server.reportedWorkers().stream()
                .map(w -> new WorkerView(w.id(), w.role(), w.thread(), w.tid(), w.pid(), w.accepted(), w.connections(),
                        w.requests(), w.bytesIn(), w.bytesOut(), w.acceptEagain()))
                .toList();
        StatsView view = new StatsView(c.model().cliName(),
                c.model() == Model.SHARED_ACCEPT ? c.accept().cliName() : null,
                c.model() == Model.REUSEPORT ? c.steer().cliName() : null,
                c.binding(), ProcessHandle.current().pid(), server.processes(), workers);
        try {
            response.contentType("application/json").body(MemorySegment.ofArray(JSON.writeValueAsBytes(view)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write /stats as JSON", e);
        }
    }
}
