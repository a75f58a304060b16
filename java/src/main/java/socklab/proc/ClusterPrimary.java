package socklab.proc;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.Arrays;

import socklab.server.AcceptShortage;
import socklab.server.GroupMember;
import socklab.sys.Epoll;
import socklab.sys.Errno;
import socklab.sys.FdPassing;
import socklab.sys.Fd;
import socklab.sys.NativeException;
import socklab.sys.Sockets;

/**
 * The primary of {@code --model cluster}: accepts every connection itself and hands each to a worker
 * process over that worker's Unix socket (SCM_RIGHTS), round-robin, as Node's cluster module does by
 * default (SCHED_RR, lib/internal/cluster/round_robin_handle.js):
 * <ul>
 * <li>accepted connections wait in a queue; a worker that is free gets the first of them;</li>
 * <li>a worker has at most one hand-off in flight: it is given nothing else until it acknowledges,
 *     and then goes to the back of the free list, or at once gets the next waiting connection;</li>
 * <li>on "accepted" the primary closes its copy; a refusal, or a worker that dies before it answers,
 *     puts the connection back at the head of the queue for another worker (a worker acknowledges
 *     before reading a byte, so no request is lost or half-read).</li>
 * <li>a worker that refused for want of a descriptor ({@link GroupMember#SHORT_OF_DESCRIPTORS}) is
 *     given nothing for {@link AcceptShortage#PAUSE_NANOS}, then is free again: its pause-and-retry.
 *     Free again at once, workers all at their limit would bounce each connection between them and
 *     the primary without end; never again, they would leave the queue stranded once descriptors are
 *     free. Another refusal means the worker is leaving: it gets nothing more.</li>
 * </ul>
 * With sequential connections and N workers this gives each worker every N-th connection. While
 * {@code maxWaiting} connections wait, the primary stops accepting and leaves the rest in the kernel's
 * accept queue (Node's queue has no bound). Runs on the supervisor's thread and epoll; not thread-safe.
 */
final class ClusterPrimary implements AutoCloseable {
    private final int epfd;
    private final int listenFd;
    private final long listenerKey;
    private final long channelKeyBase;
    private final int maxWaiting;
    private final int[] channel;
    private final int[] inFlight;
    private final ArrayDeque<Integer> free = new ArrayDeque<>();
    private final ArrayDeque<Integer> waiting = new ArrayDeque<>();
    private final Arena arena = Arena.ofShared(); // made on the caller's thread, used on the supervisor's
    private final MemorySegment out = FdPassing.allocateMessage(arena);
    private final MemorySegment in = FdPassing.allocateMessage(arena);
    private boolean accepting = true;
    private boolean watching;
    private long pausedUntil;
    /** By slot: when a worker that refused for want of a descriptor is free again (System.nanoTime), or 0. */
    private final long[] workerPausedUntil;
    private final AcceptShortage shortage = new AcceptShortage("primary");
    private long handedOff;

    /** Epoll data: {@code listenerKey} for the listener, {@code channelKeyBase | slot} for a channel. */
    ClusterPrimary(int epfd, int listenFd, long listenerKey, long channelKeyBase, int processes, int maxWaiting) {
        this.epfd = epfd;
        this.listenFd = listenFd;
        this.listenerKey = listenerKey;
        this.channelKeyBase = channelKeyBase;
        this.maxWaiting = maxWaiting;
        this.channel = new int[processes];
        this.inFlight = new int[processes];
        this.workerPausedUntil = new long[processes];
        Arrays.fill(channel, -1);
        Arrays.fill(inFlight, -1);
        watch(true);
    }

    /** A new worker process in {@code slot}, reached through {@code fd} (non-blocking): it is free. */
    void attach(int slot, int fd) {
        channel[slot] = fd;
        Epoll.add(epfd, fd, Epoll.EPOLLIN | Epoll.EPOLLRDHUP, channelKeyBase | slot);
        handOff(slot);
    }

    /** The listener is readable: accept what is queued, hand out what can be handed out. */
    void acceptReady(long now) {
        while (accepting && waiting.size() < maxWaiting) {
            int fd;
            try {
                fd = Sockets.accept(listenFd, Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC);
            } catch (NativeException e) {
                if (!AcceptShortage.is(e)) {
                    throw e;
                }
                pausedUntil = shortage.failed(e, now) | 1; // AcceptShortage's pause-and-retry; never 0, which means "not paused"
                break;
            }
            shortage.recovered(now);
            if (fd == -Errno.EAGAIN) {
                break;
            }
            waiting.add(fd);
            Integer slot = free.poll();
            if (slot != null) {
                handOff(slot);
            }
        }
        updateWatch(now);
    }

    /** The worker in {@code slot} answered, or its end closed: read every answer, then detach if it is gone. */
    void channelReady(int slot, long now) {
        while (channel[slot] >= 0) {
            long r;
            try {
                r = FdPassing.receive(channel[slot], in);
            } catch (NativeException e) {
                r = 0; // ECONNRESET: the worker is gone, as at end of stream
            }
            if (r == -Errno.EAGAIN) {
                break;
            }
            if (r == 0) {
                detach(slot);
                break;
            }
            int fd = inFlight[slot];
            inFlight[slot] = -1;
            if (fd >= 0 && FdPassing.tag(in) == GroupMember.ACCEPTED) {
                Fd.close(fd); // the worker has its own copy now
                handedOff++;
                handOff(slot);
            } else if (fd >= 0) {
                waiting.addFirst(fd); // refused: give the connection to another; to this one not again, or after a pause
                if (FdPassing.tag(in) == GroupMember.SHORT_OF_DESCRIPTORS) {
                    workerPausedUntil[slot] = now + AcceptShortage.PAUSE_NANOS | 1; // never 0, which means "not paused"
                }
                Integer next = free.poll();
                if (next != null) {
                    handOff(next);
                }
            }
        }
        updateWatch(now);
    }

    /** The worker in {@code slot} has exited: its unanswered connection goes back to the queue. */
    void detach(int slot) {
        if (channel[slot] < 0) {
            return;
        }
        Fd.close(channel[slot]); // also removes it from the epoll set
        channel[slot] = -1;
        free.remove(slot);
        workerPausedUntil[slot] = 0;
        if (inFlight[slot] >= 0) {
            waiting.addFirst(inFlight[slot]);
            inFlight[slot] = -1;
            Integer next = free.poll();
            if (next != null) {
                handOff(next);
            }
        }
    }

    /** Gives {@code slot} the first waiting connection, or marks it free when none waits. */
    private void handOff(int slot) {
        Integer fd = waiting.poll();
        if (fd == null) {
            free.add(slot);
            return;
        }
        try {
            FdPassing.send(channel[slot], out, GroupMember.HANDOFF, fd);
            inFlight[slot] = fd;
        } catch (NativeException e) {
            waiting.addFirst(fd); // EPIPE: the worker shut its end while stopping; its exit will detach it
        }
    }

    /** Stop taking connections (the group is stopping); the waiting ones are still handed out. */
    void stopAccepting() {
        accepting = false;
        watch(false);
    }

    /** Nothing waits and nothing is in flight. */
    boolean idle() {
        return waiting.isEmpty() && Arrays.stream(inFlight).allMatch(fd -> fd < 0);
    }

    /**
     * When a pause after a descriptor shortage ends, the listener's or a worker's (System.nanoTime), or 0:
     * the supervisor calls {@link #updateWatch} then.
     */
    long pausedUntil() {
        long next = pausedUntil;
        for (long until : workerPausedUntil) {
            if (until != 0 && (next == 0 || until - next < 0)) {
                next = until;
            }
        }
        return next;
    }

    /** Connections a worker acknowledged so far. */
    long handedOff() {
        return handedOff;
    }

    /**
     * Frees the workers whose pause has ended (each takes the first waiting connection), then re-evaluates
     * whether the listener should be watched: not while paused, full, or stopping.
     */
    void updateWatch(long now) {
        for (int slot = 0; slot < workerPausedUntil.length; slot++) {
            if (workerPausedUntil[slot] != 0 && now - workerPausedUntil[slot] >= 0) {
                workerPausedUntil[slot] = 0;
                handOff(slot);
            }
        }
        if (pausedUntil != 0 && now - pausedUntil >= 0) {
            pausedUntil = 0;
        }
        watch(accepting && pausedUntil == 0 && waiting.size() < maxWaiting);
    }

    private void watch(boolean on) {
        if (on != watching) {
            if (on) {
                Epoll.add(epfd, listenFd, Epoll.EPOLLIN, listenerKey);
            } else {
                Epoll.delete(epfd, listenFd);
            }
            watching = on;
        }
    }

    /** Closes the connections no worker took and every channel; the listener is the caller's. */
    @Override
    public void close() {
        waiting.forEach(Fd::close);
        waiting.clear();
        for (int slot = 0; slot < channel.length; slot++) {
            if (inFlight[slot] >= 0) {
                Fd.close(inFlight[slot]);
            }
            if (channel[slot] >= 0) {
                Fd.close(channel[slot]);
            }
        }
        arena.close();
    }
}
