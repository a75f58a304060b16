package socklab.experiment;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * One experiment run as a self-describing JSON file: what ran, with which parameters, on which
 * machine, how each number was measured, and the result. The report is built from these files alone.
 *
 * @param experiment  the experiment's name
 * @param title       its heading
 * @param description what it does
 * @param profile     quick or full: where the parameters' defaults came from
 * @param startedAt   ISO-8601, UTC
 * @param seconds     wall time of the run
 * @param othersCpu   the share of all CPUs' time that other processes used during the run (0 to 1): above
 *                    zero, the experiment shared the machine
 * @param parameters  every knob's value as used
 * @param environment the machine, from inside the experiment's network namespace
 * @param fields      how each number of {@code result} was measured, by JSON path
 * @param result      the experiment's result
 */
public record ResultFile(String experiment, String title, String description, String profile, String startedAt,
                         double seconds, double othersCpu, Map<String, String> parameters, Environment environment,
                         Map<String, String> fields, JsonNode result) {

    /** snake_case, as the idempotency experiment's file, so every result file reads the same. */
    public static final ObjectMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES) // a newer build may add fields
            .build();

    /** Longest parameter part of a file name; longer ones are cut and end with a hash of the whole. */
    private static final int MAX_TAG = 100;

    /** The file of one run of {@code experiment} that took {@code seconds} from {@code started}. */
    public static <R> ResultFile of(Experiment<R> experiment, Params params, Environment environment, Instant started,
                                    double seconds, double othersCpu, R result) {
        return new ResultFile(experiment.name(), experiment.title(), experiment.description(), params.profile().cliName(),
                started.toString(), Math.round(seconds * 10) / 10.0, othersCpu, params.values(), environment, experiment.fields(),
                JSON.valueToTree(result));
    }

    /** Writes {@code NAME-PARAMETERS-SHA.json} into {@code dir} and returns its path. */
    public Path write(Path dir, Params params) {
        String tag = params.fileTag();
        if (tag.length() > MAX_TAG) {
            tag = tag.substring(0, MAX_TAG) + "-" + Integer.toHexString(tag.hashCode());
        }
        Path file = dir.resolve(experiment + "-" + tag + "-" + environment.gitSha() + ".json");
        try {
            Files.createDirectories(dir);
            JSON.writeValue(file.toFile(), this);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
        return file;
    }

    /**
     * Writes {@code table} (first row the header) as CSV next to {@code json}: {@code JSONBASE-KEY.csv}.
     * Values are written as they print; a value holding a comma or a quote is quoted.
     */
    public static Path writeCsv(Path json, String key, List<List<Object>> table) {
        String base = json.getFileName().toString().replaceFirst("\\.json$", "");
        Path file = json.resolveSibling(base + "-" + key + ".csv");
        StringBuilder csv = new StringBuilder();
        for (List<Object> row : table) {
            csv.append(String.join(",", row.stream().map(ResultFile::csvValue).toList())).append('\n');
        }
        try {
            Files.writeString(file, csv);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
        return file;
    }

    private static String csvValue(Object value) {
        String text = String.valueOf(value);
        return text.contains(",") || text.contains("\"") ? "\"" + text.replace("\"", "\"\"") + "\"" : text;
    }

    public static ResultFile read(Path file) {
        try {
            return JSON.readValue(file.toFile(), ResultFile.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the result file " + file + ": " + e.getMessage(), e);
        }
    }

    /** The result as the experiment's own type. */
    public <R> R result(Class<R> type) {
        try {
            return JSON.treeToValue(result, type);
        } catch (IOException e) {
            throw new UncheckedIOException("the result of " + experiment + " does not read as " + type.getSimpleName()
                    + " (written by another version of socklab?): " + e.getMessage(), e);
        }
    }
}
