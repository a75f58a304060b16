package socklab.load;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * How the load generator paces requests and uses connections. Each mode says where its latency is
 * measured from, because that decides what the numbers mean.
 */
public enum Mode {
    /**
     * C keep-alive connections; each sends its next request when the previous response has arrived.
     * Latency runs from the send, so a stalled server also stalls the client's sending and the
     * histogram under-reports the stall (coordinated omission): use {@link #OPEN} for latency.
     */
    CLOSED("closed", "the send"),
    /**
     * A fixed total request rate over up to C keep-alive connections. Request i is due at
     * start + i/rate whether or not the server kept up; its latency runs from that intended time,
     * which corrects coordinated omission (the wrk2 method).
     */
    OPEN("open", "the intended send time"),
    /**
     * Each request on a connection of its own: connect, send, read the response, close. Closed loop
     * with C concurrent connections, or paced like {@link #OPEN} when a rate is given. Latency runs
     * from the connect (from the intended time when paced), so it includes the handshake.
     */
    CONN_PER_REQUEST("conn-per-request", "the connect"),
    /**
     * M connects issued at once; each connection, once established, sends one request (unless
     * connect-only) and is held open until every connect has settled. Counts successes, timeouts and
     * refusals; the connect-latency histogram spans seconds so SYN retransmissions show as ~1 s steps.
     */
    STORM("storm", "the send");

    private final String label;
    private final String latencyFrom;

    Mode(String label, String latencyFrom) {
        this.label = label;
        this.latencyFrom = latencyFrom;
    }

    /** The name the CLI and the JSON use. */
    @JsonValue
    public String label() {
        return label;
    }

    /** Where request latency starts in this mode (rate-paced conn-per-request: the intended time). */
    public String latencyFrom(boolean paced) {
        return paced ? OPEN.latencyFrom : latencyFrom;
    }

    /** The mode called {@code label}; an unknown one gives one line listing the known ones. */
    public static Mode byLabel(String label) {
        for (Mode m : values()) {
            if (m.label.equals(label)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown mode '" + label + "': choose one of " + labels());
    }

    static String labels() {
        return Arrays.stream(values()).map(Mode::label).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return label;
    }
}
