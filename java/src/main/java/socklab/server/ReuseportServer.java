package socklab.server;

import socklab.http.Handler;
import socklab.sys.Epoll;
import socklab.sys.SocketOptions;

/**
 * {@code reuseport}: N workers, each with its own listening socket bound to the same port with
 * SO_REUSEPORT, accepting and serving in its own epoll loop.
 *
 * <p>The notes' "Multiple Listener process on the same port" (socket sharding), as nginx's
 * {@code listen … reuseport} (1.9.1), HAProxy and Envoy use it. Each socket has its own accept queue and
 * the kernel picks the socket when the SYN arrives: by a hash of the 4-tuple ({@code --steer hash}), or,
 * with {@code --steer cpu}, by a classic BPF program returning {@code cpu % N}
 * (SO_ATTACH_REUSEPORT_CBPF, Cloudflare 2017), so a connection stays on the CPU that received it (socklab
 * does not pin the worker threads; with N larger than the CPU count the sockets above it get nothing).
 * The balance is fair on average, but a connection queued behind a blocked worker waits for it even
 * while others idle: Cloudflare's long latency tail. Closing one socket resets the connections queued
 * on it unless net.ipv4.tcp_migrate_req is 1.
 */
final class ReuseportServer extends Server {
    ReuseportServer(ServerConfig config) {
        super(config);
    }

    @Override
    protected void build(Handler handler) {
        int first = -1;
        for (int i = 0; i < config.workers(); i++) {
            int fd = listen(false, true); // in the group in this order: socket i is index i for the BPF program
            first = i == 0 ? fd : first;
            loop(worker(Integer.toString(i), "worker"), handler, null, "worker-" + i).acceptOn(fd, Epoll.EPOLLIN, null, null);
        }
        if (config.steer() == Steer.CPU) {
            SocketOptions.attachReuseportCpuProgram(first, config.workers()); // set-up only, through FFM directly
        }
    }
}
