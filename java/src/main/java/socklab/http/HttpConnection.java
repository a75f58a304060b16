package socklab.http;

import java.lang.foreign.MemorySegment;

import socklab.http.ConnectionTimers.Wait;
import socklab.sys.Binding;
import socklab.sys.Epoll;
import socklab.sys.Errno;
import socklab.sys.NativeException;
import socklab.sys.Sockets;

/**
 * One HTTP/1.1 connection: the state machine every server model shares. The owning event loop calls
 * {@link #open}, {@link #onEvent} for each epoll event, {@link #expired} when a deadline passes and
 * {@link #handled} when another thread has answered; the connection reads, parses, dispatches,
 * encodes and writes, through the {@link Binding} only.
 *
 * <p>The socket is registered once, edge-triggered for input and output, and never modified: the
 * connection remembers whether each direction may have more ({@code readable}, {@code writable}). As
 * in nginx, a read that returns less than the buffer had room for means the socket is drained, unless
 * the peer's FIN is pending (EPOLLRDHUP), so a keep-alive request costs one read and one write.
 * Pipelined requests are answered in order and their responses leave in one write.
 *
 * <p>While a request is with another thread ({@code HANDLING}) the loop does not touch the buffers,
 * the request or the response: that thread owns them until it hands the connection back.
 */
public final class HttpConnection {
    private enum State { READING, HANDLING, RESPONDING, LINGERING, CLOSED }

    private final ConnectionHost host;
    private final Binding sys;
    private final HttpLimits limits;
    private final HttpRequest request = new HttpRequest();
    private final HttpResponse response = new HttpResponse();
    private final InputBuffer in;
    private final OutputBuffer out;

    private int fd = -1;
    private int generation;
    private State state = State.CLOSED;
    private long requestsOnConnection;
    private boolean readable;
    private boolean writable;
    private boolean peerFinPending;
    private boolean peerClosed;
    private boolean headWritten;
    private boolean closeAfterResponse;
    private boolean handlerFailed;
    private boolean writeShut;
    private boolean progress;

    // Owned by ConnectionTimers.
    Wait timerWait = Wait.NONE;
    HttpConnection timerPrev;
    HttpConnection timerNext;
    long deadline;

    /** A connection object with its buffers; the loop reuses it for one descriptor after another. */
    public HttpConnection(ConnectionHost host, MemorySegment in, MemorySegment out) {
        this.host = host;
        this.sys = host.binding();
        this.limits = host.limits();
        this.in = new InputBuffer(in, limits, request);
        this.out = new OutputBuffer(out);
    }

    /** Starts serving {@code fd}, already registered with the loop's epoll under {@code generation}. */
    public void open(int fd, int generation) {
        this.fd = fd;
        this.generation = generation;
        state = State.READING;
        in.clear();
        requestsOnConnection = 0;
        readable = peerFinPending = peerClosed = closeAfterResponse = writeShut = false;
        writable = true;
        out.clear();
        host.timers().schedule(this, Wait.HEAD, false, host.now());
    }

    public int fd() {
        return fd;
    }

    /** Tells events for this descriptor from stale ones for an earlier connection that had the same number. */
    public int generation() {
        return generation;
    }

    /** An epoll event for this connection. */
    public void onEvent(int events) {
        if ((events & (Epoll.EPOLLRDHUP | Epoll.EPOLLHUP | Epoll.EPOLLERR)) != 0) {
            peerFinPending = true;
        }
        if ((events & (Epoll.EPOLLIN | Epoll.EPOLLRDHUP | Epoll.EPOLLHUP | Epoll.EPOLLERR)) != 0) {
            readable = true;
        }
        if ((events & (Epoll.EPOLLOUT | Epoll.EPOLLHUP | Epoll.EPOLLERR)) != 0) {
            writable = true;
        }
        drive();
    }

    /** Back on the loop after another thread ran {@link #handle}: encode and send the response. */
    public void handled() {
        startResponse();
        drive();
    }

    /** Runs the handler for the parsed request; on the loop's thread or a worker's, as the model decides. */
    public void handle(WorkerStats by, Handler handler) {
        by.countRequest();
        response.reset(by.id(), by.workerLine());
        handlerFailed = false;
        try {
            handler.handle(request, response);
        } catch (HttpException e) {
            response.error(e.status(), e.getMessage());
        } catch (RuntimeException e) {
            handlerFailed = true;
            response.error(HttpStatus.INTERNAL_SERVER_ERROR, "the handler failed: " + e);
        } catch (Error e) {
            // The thread dies and the server stops; a worker thread still returns the connection to its
            // loop (WorkerPool), which must then close it rather than send the untouched 200.
            response.dropConnection();
            throw e;
        }
    }

    /** Whether the connection has closed its descriptor. */
    public boolean isClosed() {
        return state == State.CLOSED;
    }

    /** Closes at once, whatever is in progress (the loop's last resort after an internal error). */
    public void abort() {
        if (state != State.CLOSED && state != State.HANDLING) {
            close();
        }
    }

    private void drive() {
        if (state == State.HANDLING || state == State.CLOSED) {
            return;
        }
        progress = false;
        try {
            boolean more = true;
            while (more) {
                more = switch (state) {
                    case READING -> readRequest();
                    case RESPONDING -> respond();
                    case LINGERING -> linger();
                    case HANDLING, CLOSED -> false;
                };
            }
        } catch (NativeException e) {
            close(); // the peer reset or vanished (ECONNRESET, EPIPE, ETIMEDOUT): nobody to answer
            return;
        }
        if (state != State.CLOSED) {
            host.timers().schedule(this, waitingFor(), progress, host.now());
        }
    }

    private Wait waitingFor() {
        return switch (state) {
            case HANDLING, CLOSED -> Wait.NONE;
            case LINGERING -> Wait.LINGER;
            case RESPONDING -> Wait.PROGRESS;
            case READING -> out.unwritten() > 0 || in.inBody() ? Wait.PROGRESS
                    : !in.isEmpty() ? Wait.HEAD
                    : host.stopping() ? Wait.DRAIN // see HttpLimits.drainMillis
                    : requestsOnConnection == 0 ? Wait.HEAD : Wait.IDLE;
        };
    }

    /** Called by the timers when the deadline of {@code waited} passed. */
    void expired(Wait waited) {
        if (state == State.READING && out.isEmpty() && !in.isEmpty()) {
            error(HttpStatus.REQUEST_TIMEOUT, waited == Wait.HEAD
                    ? "the request head took longer than " + limits.headerTimeoutMillis() + " ms"
                    : "the request body stalled for " + limits.idleTimeoutMillis() + " ms");
            drive();
        } else if (waited == Wait.DRAIN && state == State.READING) {
            state = State.LINGERING; // no request came while the server stops: FIN first, then discard what crosses it
            drive();
        } else if (state != State.HANDLING) {
            close(); // idle keep-alive, a new connection that sent nothing, a stalled response, lingering done
        }
    }

    private boolean readRequest() {
        int r = in.parse();
        if (in.takeContinue()) {
            out.interimContinue(); // without room the client sends the body after its own short wait
        }
        if (r == InputBuffer.READY) {
            requestsOnConnection++;
            if (host.dispatch(this)) {
                startResponse();
                return true;
            }
            state = State.HANDLING;
            host.timers().cancel(this);
            return false;
        }
        if (r != InputBuffer.NEED_MORE) {
            error(r, request.error);
            return true;
        }
        if (peerClosed) {
            // Nothing more will come: answer what was complete, abandon a partial request.
            if (flushed()) {
                close();
            }
            return false;
        }
        if (readable) {
            return fill();
        }
        flushed();
        return false;
    }

    /** One read into the free end of the input buffer; true to go on parsing. */
    private boolean fill() {
        long n = in.fill(sys, fd);
        if (n == -Errno.EAGAIN) {
            readable = false;
        } else if (n == 0) {
            peerClosed = true;
            readable = false;
        } else {
            host.io().addBytesIn(n);
            progress = true;
            if (n < in.lastAsked() && !peerFinPending) {
                readable = false; // a short read drained the socket; the next arrival is a new edge
            }
        }
        return true;
    }

    /** Writes buffered output; true when all of it has left. */
    private boolean flushed() {
        if (out.unwritten() > 0 && writable) {
            long n = out.flush(sys, fd);
            if (n > 0) {
                host.io().addBytesOut(n);
                progress = true;
            }
            if (out.unwritten() > 0) {
                writable = false; // the socket is full; EPOLLOUT brings us back
            }
        }
        return out.unwritten() == 0;
    }

    private void startResponse() {
        if (response.drop) {
            close(); // a handler's dropConnection(): no response, no lingering
            return;
        }
        closeAfterResponse = closeAfterResponse || !request.keepAlive || handlerFailed || host.stopping();
        if (!out.canHold(out.headSize(response, closeAfterResponse, request.minorVersion))) {
            response.error(HttpStatus.INTERNAL_SERVER_ERROR, "the response head is larger than the output buffer");
            closeAfterResponse = true;
        }
        headWritten = false;
        state = State.RESPONDING;
    }

    /** Answers a request the connection rejects itself, then closes (after lingering). */
    private void error(int status, String why) {
        WorkerStats io = host.io();
        io.countRequest();
        response.reset(io.id(), io.workerLine());
        response.error(status, why);
        closeAfterResponse = true;
        in.consumeAll();
        headWritten = false;
        state = State.RESPONDING;
    }

    /** Encodes the response; true when it is complete (or when flushing made room to go on). */
    private boolean respond() {
        if (!headWritten) {
            headWritten = out.head(response, request.isMethod("HEAD"), closeAfterResponse, request.minorVersion);
            if (!headWritten) {
                return flushed();
            }
        }
        if (!out.copyBody()) {
            return flushed();
        }
        in.consume(); // the response is in the output buffer: the request's input can go
        host.timers().cancel(this); // the next request gets a deadline of its own
        state = closeAfterResponse ? State.LINGERING : State.READING;
        return true;
    }

    /**
     * After a response that closes the connection: write it all, shut down our side, then read and drop
     * whatever the client still sends until it closes or the linger time is over. Closing with unread
     * input would send a reset, and a reset can destroy the response before the client reads it.
     */
    private boolean linger() {
        if (!flushed()) {
            return false;
        }
        if (peerClosed) {
            close();
            return false;
        }
        if (!writeShut) {
            sys.shutdown(fd, Sockets.SHUT_WR);
            writeShut = true;
        }
        while (readable) {
            long n = sys.read(fd, in.scratch());
            if (n == 0) {
                close();
                return false;
            }
            if (n == -Errno.EAGAIN) {
                readable = false;
            } else {
                host.io().addBytesIn(n);
            }
        }
        return false;
    }

    private void close() {
        host.timers().cancel(this);
        state = State.CLOSED;
        in.clear();
        try {
            sys.close(fd);
        } finally {
            host.closed(this);
            fd = -1;
        }
    }
}
