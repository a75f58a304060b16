package socklab.bench.ffi;

import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import socklab.sys.Binding;

/**
 * The binding a benchmark method calls through, as a JMH {@code @Param}: each value runs in a JVM of
 * its own (a fork), so the call site through {@link Binding} sees one implementation and is inlined as
 * a server's would be. Only the methods that take this state are run once per binding.
 */
@State(Scope.Thread)
public class BindingState {
    /** Binding.NAMES, spelled out because an annotation needs constants. */
    @Param({"ffm", "jni", "jnr"})
    public String binding;

    Binding calls;

    @Setup(Level.Trial)
    public void load() {
        calls = Binding.byName(binding);
    }
}
