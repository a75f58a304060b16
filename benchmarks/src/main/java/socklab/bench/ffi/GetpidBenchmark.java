package socklab.bench.ffi;

import org.openjdk.jmh.annotations.Benchmark;
import socklab.bench.BenchmarkBase;

/**
 * Row 1 of the FFI cost table: getpid(2), the cheapest system call (glibc does not cache the pid, so
 * every call enters the kernel). What a binding adds to native/cfloor's getpid is its own cost per
 * call. java.nio has no equivalent (ProcessHandle caches the pid), so there is no nio variant.
 */
public class GetpidBenchmark extends BenchmarkBase {

    @Benchmark
    public int binding(BindingState state) {
        return state.calls.getpid();
    }

    @Benchmark
    public int ffmCritical() {
        return CriticalFfm.getpid();
    }
}
