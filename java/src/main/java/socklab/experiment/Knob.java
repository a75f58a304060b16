package socklab.experiment;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

import picocli.CommandLine;
import socklab.cli.DurationConverter;

/**
 * One setting of an experiment: the CLI option {@code --NAME}, what it means, and its default in each
 * {@link Profile}. Values are kept as the user wrote them ({@code 2s}, {@code 1,16}), so the JSON shows
 * exactly what was asked for; {@link #check} rejects a bad one with a line naming the option and the fix.
 *
 * @param choices for {@link Kind#NAMES}: the names allowed, computed when asked (models, bindings, …
 *                enumerated from the code, so a model or binding added later is a choice at once)
 */
public record Knob(String name, Kind kind, String description, String quick, String full, Supplier<List<String>> choices) {

    /** What a value is. */
    public enum Kind {
        /** A whole number, at least 1. */
        COUNT,
        /** A whole number and a unit: {@code 200ms}, {@code 2s}, {@code 1m}. */
        DURATION,
        /** Counts separated by commas: {@code 1,16}. */
        COUNTS,
        /** Names separated by commas, each one of {@link #choices}; {@code all} means every choice. */
        NAMES
    }

    public static final String ALL = "all";

    public static Knob count(String name, String description, int quick, int full) {
        return new Knob(name, Kind.COUNT, description, Integer.toString(quick), Integer.toString(full), List::of);
    }

    public static Knob duration(String name, String description, String quick, String full) {
        return new Knob(name, Kind.DURATION, description, quick, full, List::of);
    }

    public static Knob counts(String name, String description, String quick, String full) {
        return new Knob(name, Kind.COUNTS, description, quick, full, List::of);
    }

    public static Knob names(String name, String description, String quick, String full, Supplier<List<String>> choices) {
        return new Knob(name, Kind.NAMES, description, quick, full, choices);
    }

    /** The default of {@code profile}. */
    public String defaultFor(Profile profile) {
        return profile == Profile.FULL ? full : quick;
    }

    /** {@code value} if it is well-formed for this knob; else an IllegalArgumentException naming the option and the fix. */
    public String check(String value) {
        switch (kind) {
            case COUNT -> parseCount(value);
            case DURATION -> parseDuration(value);
            case COUNTS -> parseCounts(value);
            case NAMES -> parseNames(value);
        }
        return value;
    }

    int parseCount(String value) {
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("--" + name + " must be a whole number of at least 1, not '" + value + "'");
    }

    /** Through the CLI's one duration syntax ({@link DurationConverter}), so a knob reads as every other option. */
    Duration parseDuration(String value) {
        try {
            return new DurationConverter().convert(value);
        } catch (CommandLine.TypeConversionException e) {
            throw new IllegalArgumentException("--" + name + ": " + e.getMessage());
        }
    }

    List<Integer> parseCounts(String value) {
        return Arrays.stream(value.split(",", -1)).map(this::parseCount).toList();
    }

    List<String> parseNames(String value) {
        List<String> known = choices.get();
        if (value.trim().toLowerCase(Locale.ROOT).equals(ALL)) {
            return known;
        }
        List<String> names = Arrays.stream(value.split(",", -1)).map(String::trim).toList();
        for (String n : names) {
            if (!known.contains(n)) {
                throw new IllegalArgumentException("--" + name + ": unknown '" + n + "': give names separated by commas from "
                        + String.join(", ", known) + " (or all)");
            }
        }
        return names;
    }
}
