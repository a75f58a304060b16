package socklab.server;

import java.util.Locale;

/** What a stopping server does with the connections waiting in its listening sockets' accept queues. */
public enum QueueAtStop {
    /** Shut the door and serve them before the listeners close: {@link AcceptQueueDrain}. */
    DRAIN,
    /**
     * Close the listeners at once, as nginx and Node do: the kernel resets every connection still in a
     * queue (inet_csk_listen_stop), although its client's connect succeeded. For comparison.
     */
    RESET;

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The value called {@code name}; an unknown name gives one line listing the known ones. */
    public static QueueAtStop byName(String name) {
        return ServerConfig.byCliName(values(), QueueAtStop::cliName, "accept-queue-at-stop", name);
    }
}
