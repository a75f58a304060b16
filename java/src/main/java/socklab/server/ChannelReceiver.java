package socklab.server;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

import socklab.http.WorkerStats;
import socklab.sys.Binding;
import socklab.sys.FdPassing;
import socklab.sys.Sockets;

/**
 * The cluster worker's side of a hand-off: a thread blocked in recvmsg(2) on the Unix socket to the
 * parent, which sends one accepted connection per message (SCM_RIGHTS). Each one is acknowledged at
 * once, before any byte of it is read, then given to a loop: the parent hands this process nothing
 * else until the acknowledgement arrives (Node's round_robin_handle.js), and a connection whose
 * acknowledgement never came was never touched here, so the parent may give it to another process.
 * A message that lost its descriptor on the way (MSG_CTRUNC: this process is at RLIMIT_NOFILE) is
 * refused as {@link GroupMember#SHORT_OF_DESCRIPTORS}: the parent hands the connection to someone else
 * and this process nothing for a pause ({@link AcceptShortage}, which also prints when the shortage
 * starts and ends here).
 *
 * <p>It stops when the server shuts the channel down (recvmsg then returns 0): the parent's next send
 * fails with EPIPE, so it stops handing connections to a process that is leaving.
 */
final class ChannelReceiver {
    private static final String LOST_DESCRIPTOR = "recvmsg: MSG_CTRUNC (a handed-off connection lost its descriptor: "
            + "this process is out of descriptors)";

    private final Binding sys;
    private final int channel;
    private final WorkerStats worker;
    private final IntConsumer target;
    private final Consumer<Throwable> onFailure;
    private final Thread thread;
    private final AcceptShortage shortage;
    private volatile boolean stopping;

    ChannelReceiver(Binding sys, int channel, WorkerStats worker, IntConsumer target, Consumer<Throwable> onFailure) {
        this.sys = sys;
        this.channel = channel;
        this.worker = worker;
        this.target = target;
        this.onFailure = onFailure;
        this.thread = Thread.ofPlatform().name("receiver").daemon().unstarted(this::run);
        // loaded now: at the limit no class file can be opened
        this.shortage = new AcceptShortage(worker.id(), "the cluster primary's queue");
    }

    void start() {
        thread.start();
    }

    /** Shuts the channel down to wake the thread, waits for it to end, and closes the channel. */
    void stop() throws InterruptedException {
        stopping = true;
        if (thread.getState() != Thread.State.NEW) {
            sys.shutdown(channel, Sockets.SHUT_RDWR);
            thread.join();
        }
        sys.close(channel);
    }

    private void run() {
        worker.bindToCurrentThread();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = FdPassing.allocateMessage(arena);
            MemorySegment out = FdPassing.allocateMessage(arena);
            while (FdPassing.receive(channel, in) > 0) {
                int fd = FdPassing.receivedFd(in);
                if (FdPassing.tag(in) == GroupMember.HANDOFF && fd < 0 && FdPassing.truncated(in) && !stopping) {
                    shortage.failed(LOST_DESCRIPTOR, System.nanoTime());
                    FdPassing.send(channel, out, GroupMember.SHORT_OF_DESCRIPTORS, -1);
                    continue;
                }
                if (FdPassing.tag(in) != GroupMember.HANDOFF || fd < 0 || stopping) {
                    if (fd >= 0) {
                        sys.close(fd);
                    }
                    FdPassing.send(channel, out, GroupMember.REFUSED, -1);
                    continue;
                }
                shortage.recovered(System.nanoTime());
                FdPassing.send(channel, out, GroupMember.ACCEPTED, -1);
                worker.countAccepted();
                target.accept(fd);
            }
        } catch (Throwable t) {
            if (!stopping) {
                onFailure.accept(t); // the parent is gone (EPIPE on the acknowledgement) or a bug
            }
        }
    }
}
