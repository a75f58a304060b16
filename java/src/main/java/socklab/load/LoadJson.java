package socklab.load;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;

import org.HdrHistogram.Histogram;

import socklab.sys.SockAddr;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;

/**
 * A {@link LoadResult} as JSON. Durations are seconds; histograms are summarised in microseconds
 * (count, min, mean, p50 … p99.99, max) and carried whole as {@code hdr}: HdrHistogram's compressed
 * encoding in base64 (values in nanoseconds), which {@code Histogram.decodeFromCompressedByteBuffer}
 * reads back, so a later report can compute any percentile from the raw run.
 */
public final class LoadJson {
    private LoadJson() {}

    private static final double[] PERCENTILES = {50, 90, 99, 99.9, 99.99};

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new SimpleModule("socklab-load")
                    .addSerializer(Histogram.class, new HistogramSerializer())
                    .addSerializer(Duration.class, new DurationSerializer())
                    .addSerializer(InetSocketAddress.class, new AddressSerializer()))
            .enable(SerializationFeature.INDENT_OUTPUT);

    public static String toJson(LoadResult result) {
        try {
            return MAPPER.writeValueAsString(result);
        } catch (IOException e) {
            throw new IllegalStateException("serialising a load result: " + e.getMessage(), e);
        }
    }

    /** Writes the result to {@code file}; failure names the file and the cause. */
    public static void write(LoadResult result, Path file) throws IOException {
        try {
            MAPPER.writeValue(file.toFile(), result);
        } catch (IOException e) {
            throw new IOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static final class HistogramSerializer extends JsonSerializer<Histogram> {
        @Override
        public void serialize(Histogram h, JsonGenerator json, SerializerProvider provider) throws IOException {
            json.writeStartObject();
            json.writeStringField("unit", "us");
            json.writeNumberField("count", h.getTotalCount());
            if (h.getTotalCount() > 0) {
                json.writeNumberField("min", h.getMinValue() / 1e3);
                json.writeNumberField("mean", Math.round(h.getMean()) / 1e3);
                for (double p : PERCENTILES) {
                    json.writeNumberField("p" + (p == (long) p ? String.valueOf((long) p) : String.valueOf(p)),
                            h.getValueAtPercentile(p) / 1e3);
                }
                json.writeNumberField("max", h.getMaxValue() / 1e3);
            }
            ByteBuffer buffer = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
            int length = h.encodeIntoCompressedByteBuffer(buffer);
            json.writeStringField("hdr", Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(buffer.array(), length)));
            json.writeEndObject();
        }
    }

    private static final class DurationSerializer extends JsonSerializer<Duration> {
        @Override
        public void serialize(Duration d, JsonGenerator json, SerializerProvider provider) throws IOException {
            json.writeNumber(d.toNanos() / 1e9);
        }
    }

    private static final class AddressSerializer extends JsonSerializer<InetSocketAddress> {
        @Override
        public void serialize(InetSocketAddress a, JsonGenerator json, SerializerProvider provider) throws IOException {
            json.writeString(SockAddr.format(a));
        }
    }
}
