package socklab.server;

/**
 * The server architectures, one per section of the reference notes; see each model's class for what it
 * mirrors. shared-accept and reuseport also run as worker processes (socklab.proc); cluster runs only so.
 */
public enum Model {
    /** {@link SingleServer}: one thread listens, accepts, reads and handles in one epoll loop. */
    SINGLE("single"),
    /** {@link AcceptorReadersServer}: one acceptor hands connections round-robin to N reader loops. */
    ACCEPTOR_READERS("acceptor-readers"),
    /** {@link DispatcherWorkersServer}: one thread does all socket I/O; N workers run the handlers. */
    DISPATCHER_WORKERS("dispatcher-workers"),
    /** {@link SharedAcceptServer}: N workers accept on one listening socket. */
    SHARED_ACCEPT("shared-accept"),
    /** {@link ReuseportServer}: N workers, each with its own SO_REUSEPORT socket on the same port. */
    REUSEPORT("reuseport"),
    /** {@link ClusterWorkerServer}: worker processes served by a primary that accepts and hands connections round-robin. */
    CLUSTER("cluster");

    private final String cliName;

    Model(String cliName) {
        this.cliName = cliName;
    }

    /** The name the CLI and /stats use. */
    public String cliName() {
        return cliName;
    }

    /** The value called {@code name}; an unknown name gives one line listing the known ones. */
    public static Model byName(String name) {
        return ServerConfig.byCliName(values(), Model::cliName, "model", name);
    }
}
