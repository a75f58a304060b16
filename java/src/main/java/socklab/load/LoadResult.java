package socklab.load;

import com.fasterxml.jackson.annotation.JsonProperty;

import org.HdrHistogram.Histogram;

import java.util.List;
import java.util.Map;

/**
 * What a load run measured. Everything except {@link #warmup} is about the measured window: requests
 * started in it (paced: intended in it) and connects issued in it, with every outcome, including
 * those that arrived while the run drained after the window.
 *
 * <p>Two ledgers close exactly, and the tests hold them to it: {@code requests = responses + sum(errors)}
 * and {@code connects = established + sum(connectErrors)}. Histograms hold nanoseconds.
 *
 * @param latencyFrom          where request latency starts: the send, the connect, or the intended send time
 * @param windowSeconds        the measured window (storm: from the first connect until every connect settled)
 * @param elapsedSeconds       wall time of the whole run: warm-up, window, and the drain of requests in flight
 * @param requests             requests started
 * @param responses            complete responses (any status)
 * @param responsesInWindow    responses that also arrived before the window closed
 * @param requestsPerSecond    responsesInWindow / windowSeconds
 * @param errors               requests that ended without a response, by kind (a request that had to connect
 *                             first carries its connect failure here too)
 * @param scheduled            paced: requests whose intended time fell in the window; otherwise = requests
 * @param unsent               paced: scheduled but never started, because no connection was free in time
 * @param statuses             responses by status code
 * @param connects             connects issued
 * @param established          connects whose handshake completed (from the client's side)
 * @param connectErrors        connects that failed, by kind
 * @param responsesPerWorker   responses by the {@code X-Worker} id they carried ({@code (none)} without one)
 * @param connectionsPerWorker connections that answered in the window, by the {@code X-Worker} id of their first
 *                             response there (a keep-alive connection opened in the warm-up counts too)
 * @param latency              request latency, all paths together
 * @param connectLatency       from connect(2) until the event loop saw the handshake complete
 * @param sendDelay            paced: how late each request left after its intended time (the generator's own lag); else null
 * @param paths                per path of the mix
 * @param errorExamples        the first message seen for each error kind, request or connect
 * @param warmup               what the warm-up did, not included above
 * @param allocatedBytes       bytes the load threads allocated on the Java heap during the window: the
 *                             generator's check on itself (its request path allocates nothing once compiled)
 */
public record LoadResult(LoadConfig config, String latencyFrom, double windowSeconds, double elapsedSeconds,
                         long requests, long responses, long responsesInWindow, double requestsPerSecond,
                         Map<ErrorKind, Long> errors, long scheduled, long unsent, Map<Integer, Long> statuses,
                         long connects, long established, Map<ErrorKind, Long> connectErrors,
                         Map<String, Long> responsesPerWorker, Map<String, Long> connectionsPerWorker,
                         Histogram latency, Histogram connectLatency, Histogram sendDelay, List<PathResult> paths,
                         Map<ErrorKind, String> errorExamples, Warmup warmup,
                         long allocatedBytes) {

    /** One path of the request mix. */
    public record PathResult(String path, int weight, long requests, long responses, Histogram latency) {}

    /** The warm-up's counts, reported apart. */
    public record Warmup(double seconds, long requests, long responses, long errors, long connects) {}

    /** Requests that ended without a response. */
    @JsonProperty
    public long errorCount() {
        return errors.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Connects that did not complete. */
    @JsonProperty
    public long connectErrorCount() {
        return connectErrors.values().stream().mapToLong(Long::longValue).sum();
    }

    /** requests - responses - errors: zero unless a request was lost track of (a bug). */
    @JsonProperty
    public long unaccountedRequests() {
        return requests - responses - errorCount();
    }

    /** connects - established - connect errors: zero unless a connect was lost track of (a bug). */
    @JsonProperty
    public long unaccountedConnects() {
        return connects - established - connectErrorCount();
    }
}
