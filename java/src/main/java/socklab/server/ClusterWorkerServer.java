package socklab.server;

import socklab.http.Handler;
import socklab.http.WorkerStats;

/**
 * {@code cluster}, inside one worker process: the parent (the primary) accepts every connection and
 * hands it over a Unix socket (SCM_RIGHTS), round-robin over the processes, as Node's cluster module
 * does by default (SCHED_RR). Here a {@link ChannelReceiver} takes the connections off the channel and
 * passes them round-robin to N worker loops, which read, handle and write them; with one worker this
 * is Node's single-threaded worker. The accepting side is socklab.proc's ClusterPrimary.
 *
 * <p>Only the primary's accept queue exists, so a slow worker process does not collect a queue of its
 * own: the primary gives a worker nothing new until it has acknowledged the last connection. The price
 * is a hop through the primary and one sendmsg/recvmsg pair per connection. In /stats the receiver
 * counts the connections handed over, the workers what they served.
 */
final class ClusterWorkerServer extends Server {
    ClusterWorkerServer(ServerConfig config) {
        super(config);
    }

    @Override
    protected void build(Handler handler) {
        if (member() == null || member().channel() < 0) {
            throw new IllegalArgumentException("--model cluster runs in worker processes: give --processes P");
        }
        WorkerStats receiver = worker("receiver", "receiver");
        EventLoop[] loops = new EventLoop[config.workers()];
        for (int i = 0; i < loops.length; i++) {
            loops[i] = loop(worker(Integer.toString(i), "worker"), handler, null, "worker-" + i);
        }
        int[] next = {0}; // touched only by the receiver's thread
        receiver(member().channel(), receiver, fd -> {
            loops[next[0]].handOff(fd);
            next[0] = (next[0] + 1) % loops.length;
        });
    }
}
