package socklab.cli;

import picocli.CommandLine;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the durations the CLI takes: a whole positive number and a unit, {@code 200ms}, {@code 1s},
 * {@code 2m}, {@code 24h}. {@link OrZero} also takes {@code 0}, for options where zero means "none" (a warm-up).
 */
public class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)");

    private final boolean zeroAllowed;

    public DurationConverter() {
        this(false);
    }

    private DurationConverter(boolean zeroAllowed) {
        this.zeroAllowed = zeroAllowed;
    }

    /** As {@link DurationConverter}, and {@code 0} (with or without a unit) is zero. */
    public static final class OrZero extends DurationConverter {
        public OrZero() {
            super(true);
        }
    }

    @Override
    public Duration convert(String value) {
        if (zeroAllowed && value.trim().equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = DURATION.matcher(value.trim());
        if (!m.matches()) {
            throw new CommandLine.TypeConversionException(
                    "'" + value + "' is not a duration: give a whole number and a unit ms, s, m or h, e.g. 200ms or 1s");
        }
        long amount = Long.parseLong(m.group(1));
        if (amount == 0 && !zeroAllowed) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a usable interval: give more than 0");
        }
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            default -> Duration.ofHours(amount);
        };
    }
}
