package socklab.report;

/**
 * One finding of a run, for the summary at the top of the report: what was measured, the reference
 * fact it is compared with (if any), and whether this run reproduced it. Computed from the run's
 * numbers by the experiment, never written from expectation.
 *
 * @param topic     what it is about: {@code blocking accept}
 * @param measured  the numbers this run measured, in a sentence
 * @param reference the fact from the reference notes it is compared with, with its source; null if none
 * @param criterion the test the numbers had to pass to count as reproducing the reference; null if none
 * @param verdict   how the measurement compares
 */
public record Finding(String topic, String measured, String reference, String criterion, Verdict verdict) {

    public enum Verdict {
        REPRODUCED("reproduced"),
        NOT_REPRODUCED("not reproduced"),
        /** No reference fact: what this machine does, for the record. */
        MEASURED("measured");

        private final String label;

        Verdict(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        /** REPRODUCED when {@code held}, else NOT_REPRODUCED. */
        public static Verdict of(boolean held) {
            return held ? REPRODUCED : NOT_REPRODUCED;
        }
    }

    /** A finding with no reference to compare with. */
    public static Finding measured(String topic, String measured) {
        return new Finding(topic, measured, null, null, Verdict.MEASURED);
    }

    /** The summary's bullet: {@code **topic**: reproduced. measured (reference: …)}. */
    public String markdown() {
        return "**" + topic + "**: " + (reference == null ? measured : "**" + verdict.label() + "**. " + measured
                + " *Reference:* " + reference);
    }

    /** The section's bullet: the summary's, with the criterion the verdict was decided by. */
    public String markdownWithCriterion() {
        return markdown() + (criterion == null ? "" : " *Criterion:* " + criterion + ".");
    }
}
