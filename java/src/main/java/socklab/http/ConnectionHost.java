package socklab.http;

import socklab.sys.Binding;

/**
 * What an {@link HttpConnection} needs from the event loop that owns it. Every method is called on
 * that loop's thread.
 */
public interface ConnectionHost {
    /** The system calls, through the binding under test. */
    Binding binding();

    HttpLimits limits();

    ConnectionTimers timers();

    /** System.nanoTime() as of the loop's last wake-up (read once per wake-up, as nginx does), or of the last connection it took. */
    long now();

    /** The counters of the thread doing this connection's I/O; errors it answers itself carry its id. */
    WorkerStats io();

    /** True once the server is stopping: every response then says {@code Connection: close}. */
    boolean stopping();

    /**
     * A complete request is ready. Either handle it now on this thread ({@link HttpConnection#handle})
     * and return true, or hand the connection to another thread and return false; that thread calls
     * {@code handle} and the loop later calls {@link HttpConnection#handled()}.
     */
    boolean dispatch(HttpConnection c);

    /** The connection closed its descriptor; the loop forgets it and may reuse the object. */
    void closed(HttpConnection c);
}
