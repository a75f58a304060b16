package socklab.kernel;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What a {@link QueueSampler} recorded: each listening socket's queue depth at each tick, and how the
 * namespace's TCP counters moved over the same run, ready for a report to plot.
 *
 * @param port               the port sampled
 * @param intervalMs         the interval asked for; {@link QueueSample#elapsedMs} says when each dump really happened
 * @param startedAt          wall-clock start, ISO-8601
 * @param netns              the network namespace sampled ({@code net:[…]})
 * @param samples            one row per listening socket per tick, in time order
 * @param tcpCounterDeltas   {@link NetCounters.Delta#tcp()} from start to stop: key counters and every Tcp/TcpExt counter that moved;
 *                           per namespace, so they include every process in it
 */
public record QueueSeries(int port, long intervalMs, String startedAt, String netns,
                          List<QueueSample> samples, Map<String, Long> tcpCounterDeltas) {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final CsvMapper CSV = new CsvMapper();

    /** The whole series as one JSON document. */
    public void writeJson(Path file) {
        try {
            JSON.writeValue(file.toFile(), this);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the queue series to " + file + ": " + e.getMessage(), e);
        }
    }

    /** The samples as CSV with a header row: elapsedMs,label,inode,local,acceptQueue,backlog. */
    public void writeCsv(Path file) {
        try {
            CSV.writer(CSV.schemaFor(QueueSample.class).withHeader()).writeValue(file.toFile(), samples);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the queue samples to " + file + ": " + e.getMessage(), e);
        }
    }
}
