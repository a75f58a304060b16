package socklab.server;

import java.util.ArrayList;
import java.util.List;

import socklab.http.Handler;
import socklab.http.WorkerStats;
import socklab.sys.Epoll;

/**
 * {@code dispatcher-workers}: one dispatch thread accepts and does all socket I/O and parsing; N worker
 * threads only run handlers; answered requests come back to the dispatcher through a queue and an eventfd.
 *
 * <p>The notes' "Multiple worker threads but with load balancing", which is RAMCloud (Dispatch,
 * WorkerManager): a dispatch thread owns every socket, hands each complete request to an idle worker,
 * and sends the reply once the worker is done. Work is balanced per request, so a slow request ties up
 * one worker, not the connections behind it; the price is two thread hand-offs per request, which can
 * cost more than a short handler, so more workers can be slower, and the dispatch thread caps throughput.
 * One request per connection is with a worker at a time; a pipelined request waits its turn.
 * In /stats the dispatcher counts connections and bytes, the workers the requests they handled.
 */
final class DispatcherWorkersServer extends Server {
    DispatcherWorkersServer(ServerConfig config) {
        super(config);
    }

    @Override
    protected void build(Handler handler) {
        int fd = listen(false, false);
        WorkerStats dispatcher = worker("dispatcher", "dispatcher");
        List<WorkerStats> workers = new ArrayList<>();
        for (int i = 0; i < config.workers(); i++) {
            workers.add(worker(Integer.toString(i), "worker"));
        }
        loop(dispatcher, handler, pool(workers, handler), "dispatcher").acceptOn(fd, Epoll.EPOLLIN, null, null);
    }
}
