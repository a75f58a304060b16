package socklab.bench.ffi;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Calls that did not do what the benchmark set up (a recv that did not say EAGAIN, a short write, an
 * accept that found the queue empty), counted per iteration and reported by JMH next to the score as
 * the secondary result "failures". The FFI cost table prints it: a row whose calls failed measured
 * something else.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class Failures {
    public long failures;

    @Setup(Level.Iteration)
    public void reset() {
        failures = 0;
    }

    /** {@code result}, counting a failure when it is not {@code expected} (not public: JMH would take it for a counter). */
    long expect(long expected, long result) {
        if (result != expected) {
            failures++;
        }
        return result;
    }
}
