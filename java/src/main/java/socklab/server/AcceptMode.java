package socklab.server;

import java.util.Locale;

/** How the workers of {@link SharedAcceptServer} take connections from their one listening socket. */
public enum AcceptMode {
    /** Each worker has a thread blocked in accept4(2); the kernel wakes the one waiting longest (FIFO). */
    BLOCKING,
    /** Each worker's epoll watches the socket, level-triggered: a connection wakes them all (the thundering herd). */
    EPOLL,
    /** As EPOLL with EPOLLEXCLUSIVE (Linux >= 4.5): one waiter is woken, the one that waited last (LIFO). */
    EXCLUSIVE,
    /** Only the holder of a user-space mutex watches the socket, as nginx's accept_mutex. */
    MUTEX;

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The value called {@code name}; an unknown name gives one line listing the known ones. */
    public static AcceptMode byName(String name) {
        return ServerConfig.byCliName(values(), AcceptMode::cliName, "accept mode", name);
    }
}
