package socklab.idem;

import java.time.Instant;

/**
 * The process working on an idempotency key: its pid and start time (the pair names one process for
 * good, where a pid alone is reused). A server that finds a key in progress asks whether its owner
 * still runs: if not, the owner died between claiming the key and committing, and since the comment
 * and the stored response commit in one transaction, nothing of its work is in the database, so the
 * key can be taken over. This needs the processes on one host, which SQLite's locking needs anyway.
 */
record Owner(long pid, long startMillis) {
    /** This process. */
    static final Owner CURRENT = of(ProcessHandle.current());

    static Owner of(ProcessHandle process) {
        return new Owner(process.pid(), process.info().startInstant().map(Instant::toEpochMilli).orElse(0L));
    }

    /** Whether the process this names still runs (a pid now used by another process does not count). */
    boolean isAlive() {
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(Owner::of).filter(this::equals).isPresent();
    }
}
