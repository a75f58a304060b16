package socklab.experiment;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The size of a run: every knob has a default per profile; {@code make bench PROFILE=full} picks the larger. */
public enum Profile {
    /** Each experiment in well under a minute on 2 cores: the default of {@code make bench}. */
    QUICK,
    /** Longer windows and more repetitions, for numbers to cite. */
    FULL;

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Profile byName(String name) {
        return Arrays.stream(values()).filter(p -> p.cliName().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown profile '" + name + "': choose one of "
                        + Arrays.stream(values()).map(Profile::cliName).collect(Collectors.joining(", "))));
    }
}
