package socklab.server;

import java.util.concurrent.atomic.AtomicReference;

/**
 * nginx's accept_mutex (src/event/ngx_event_accept.c, ngx_event.c), for threads instead of processes.
 *
 * <p>Before each epoll_wait a worker tries the lock without waiting (ngx_trylock_accept_mutex). Getting
 * it, the worker adds the listening socket to its epoll set if it is not there yet; failing, a worker
 * that had it there takes it out, and waits at most {@link #DELAY_MILLIS} (accept_mutex_delay) before
 * trying again. The holder keeps the lock through its epoll_wait and releases it after accepting, before
 * it handles the other events, so one busy worker does not hold up the rest. Because the holder usually
 * takes the lock again on its next turn, one worker tends to accept nearly everything: the reason nginx
 * turned accept_mutex off by default in 1.11.3.
 *
 * <p>nginx also skips the lock while a worker uses more than 7/8 of its worker_connections
 * (ngx_accept_disabled); socklab applies that rule with nginx's default of {@link #WORKER_CONNECTIONS}.
 */
final class AcceptMutex {
    /** accept_mutex_delay's default. */
    static final int DELAY_MILLIS = 500;
    /** worker_connections's default. */
    static final int WORKER_CONNECTIONS = 512;

    private final AtomicReference<Object> owner = new AtomicReference<>();

    /** ngx_shmtx_trylock: one compare-and-set of the owner (nginx stores the pid), never waits. */
    boolean tryLock(Object who) {
        return owner.get() == null && owner.compareAndSet(null, who);
    }

    /** ngx_shmtx_unlock: releases only if {@code who} holds it, so a worker may call it every turn. */
    void unlock(Object who) {
        if (owner.get() == who) {
            owner.compareAndSet(who, null);
        }
    }

    /**
     * ngx_accept_disabled after an accept: how many turns a worker with {@code open} connections skips
     * the lock; positive once fewer than 1/8 of its connections are free.
     */
    static int turnsToSkip(int open) {
        return WORKER_CONNECTIONS / 8 - (WORKER_CONNECTIONS - open);
    }
}
