package socklab.server;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;

import socklab.http.Handler;
import socklab.http.HttpConnection;
import socklab.http.WorkerStats;

/**
 * Handler threads that never touch a socket: the dispatcher puts parsed requests on one queue, an idle
 * worker takes the next one, runs the handler, and returns the connection to the dispatcher's loop.
 *
 * <p>RAMCloud's WorkerManager gives each incoming RPC to an idle worker, or queues it until one is
 * free; one shared queue that idle workers wait on behaves the same. RAMCloud's idle workers spin for
 * about 10 ms before sleeping because a wake-up costs tens of microseconds; these block at once
 * (a futex wait inside the queue), because on a machine with few cores a spinning worker takes the CPU
 * the dispatch thread needs.
 */
final class WorkerPool {
    private final LinkedBlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    private final List<Thread> threads = new ArrayList<>();

    private record Job(HttpConnection connection, EventLoop from) {}

    WorkerPool(List<WorkerStats> workers, Handler handler, Consumer<Throwable> onFailure) {
        for (WorkerStats worker : workers) {
            threads.add(Thread.ofPlatform().name("worker-" + worker.id()).daemon().unstarted(() -> {
                worker.bindToCurrentThread();
                try {
                    while (true) {
                        Job job = queue.take();
                        try {
                            job.connection.handle(worker, handler);
                        } finally {
                            job.from.answered(job.connection); // even after an Error, so the dispatcher can drain
                        }
                    }
                } catch (InterruptedException e) {
                    // stop(): the dispatcher has ended, so no request is waiting or in progress
                } catch (Throwable t) {
                    onFailure.accept(t);
                }
            }));
        }
    }

    void start() {
        threads.forEach(Thread::start);
    }

    /** Queues a parsed request (the dispatcher's thread). */
    void submit(HttpConnection c, EventLoop from) {
        queue.add(new Job(c, from));
    }

    /** Ends the idle threads; call once the dispatcher has no request out. */
    void stop() throws InterruptedException {
        for (Thread t : threads) {
            t.interrupt();
        }
        for (Thread t : threads) {
            if (t.getState() != Thread.State.NEW) {
                t.join();
            }
        }
    }
}
