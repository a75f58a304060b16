package socklab.bench;

import org.openjdk.jmh.annotations.Benchmark;
import socklab.sys.Libc;

/**
 * The cost of one trivial system call, getpid(2), through an FFM downcall handle: the floor under
 * every other call socklab makes. glibc does not cache the pid, so each call enters the kernel.
 */
public class DowncallBenchmark extends BenchmarkBase {

    @Benchmark
    public int getpid() {
        return Libc.getpid();
    }
}
