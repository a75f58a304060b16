package socklab.experiment;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The values one run of an experiment uses: each knob's value as given (or its profile default),
 * checked when the Params are made. Typed getters parse on the way out.
 *
 * @param profile the profile the defaults came from
 * @param values  knob name to value, in the experiment's knob order
 */
public record Params(Profile profile, Map<String, String> values, List<Knob> knobs) {

    public Params {
        values = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(values));
        knobs = List.copyOf(knobs);
    }

    /** The defaults of {@code profile} overridden by {@code given} (knob name to value); each value checked. */
    public static Params of(List<Knob> knobs, Profile profile, Map<String, String> given) {
        Map<String, String> values = new LinkedHashMap<>();
        for (Knob k : knobs) {
            values.put(k.name(), k.check(given.getOrDefault(k.name(), k.defaultFor(profile))));
        }
        for (String name : given.keySet()) {
            if (knobs.stream().noneMatch(k -> k.name().equals(name))) {
                throw new IllegalArgumentException("no knob --" + name + " here: the knobs are "
                        + String.join(", ", knobs.stream().map(k -> "--" + k.name()).toList()));
            }
        }
        return new Params(profile, values, knobs);
    }

    public int count(String name) {
        return knob(name).parseCount(values.get(name));
    }

    public Duration duration(String name) {
        return knob(name).parseDuration(values.get(name));
    }

    public List<Integer> counts(String name) {
        return knob(name).parseCounts(values.get(name));
    }

    public List<String> names(String name) {
        return knob(name).parseNames(values.get(name));
    }

    /** The values as a file name part: {@code workers4-concurrency1,16-duration1s}, in knob order. */
    public String fileTag() {
        StringBuilder tag = new StringBuilder();
        values.forEach((name, value) -> {
            if (!tag.isEmpty()) {
                tag.append('-');
            }
            tag.append(name).append(value.replaceAll("[^A-Za-z0-9,.-]+", "_"));
        });
        return tag.toString();
    }

    private Knob knob(String name) {
        return knobs.stream().filter(k -> k.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no knob " + name));
    }
}
