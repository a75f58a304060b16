package socklab.load;

import socklab.sys.Epoll;

import static socklab.load.Slot.BACKOFF;
import static socklab.load.Slot.CONNECTING;
import static socklab.load.Slot.FREE;
import static socklab.load.Slot.HELD;
import static socklab.load.Slot.IDLE;
import static socklab.load.Slot.READING;
import static socklab.load.Slot.WRITING;

/**
 * A {@link LoadLoop}'s connections ("slots") and what each does next. Every slot is a small state
 * machine ({@link Slot}) that epoll events and the loop's timeout scan move along; after a response or
 * a failure the mode decides where it goes: closed loop, straight to its next request; paced, back to
 * the schedule's free slots until a request is due (an open loop's connection is kept up meanwhile);
 * connection per request, a connection of its own for each request; a storm, held open to the end.
 * The syscalls are {@link SlotSockets}'; {@link Accounting} counts every start and outcome. Only the
 * loop's own thread uses it, and nothing here allocates per request.
 */
final class ConnectionSlots {
    /** Connects issued before the loop looks at events again, so a burst does not delay its own completions. */
    private static final int LAUNCH_BATCH = 8;

    private final LoadConfig config;
    private final boolean keepAlive;
    private final boolean paced;
    private final boolean storm;
    private final long timeoutNanos;
    private final int[] order;
    private int orderNext;

    private final Slot[] slots;
    /** Paced modes: when requests are due, and which slots are free to take them; null when unpaced. */
    private final PacedSchedule schedule;
    private final SlotSockets sockets;
    private final Accounting accounting;
    private int launched;
    private int busy;
    private boolean accepting = true;

    ConnectionSlots(LoadConfig config, int connections, PacedSchedule schedule, SlotSockets sockets, Accounting accounting) {
        this.config = config;
        Mode mode = config.mode();
        this.storm = mode == Mode.STORM;
        this.keepAlive = mode == Mode.CLOSED || mode == Mode.OPEN;
        this.paced = schedule != null;
        this.timeoutNanos = config.timeout().toNanos();
        this.order = RequestPath.interleave(config.paths());
        this.slots = new Slot[connections];
        for (int i = 0; i < connections; i++) {
            slots[i] = new Slot(i);
        }
        this.schedule = schedule;
        this.sockets = sockets;
        this.accounting = accounting;
    }

    /** Still starting requests: until the window ends (a storm: until its burst is out). */
    boolean accepting() {
        return accepting;
    }

    /** Every slot has had its first action. */
    boolean allLaunched() {
        return launched == slots.length;
    }

    /** Nothing is left to do: no more requests start, none is in flight, every slot has been launched. */
    boolean finished() {
        return !accepting && busy == 0 && launched == slots.length;
    }

    /** Closes every descriptor still open (storm holds its connections until here). */
    void close() {
        for (Slot s : slots) {
            sockets.close(s);
        }
    }

    /** Issues the first action of up to {@link #LAUNCH_BATCH} slots. */
    void launch(long now) {
        int end = Math.min(slots.length, launched + LAUNCH_BATCH);
        for (; launched < end; launched++) {
            Slot s = slots[launched];
            if (paced && !keepAlive) {
                makeAvailable(s);
            } else if (config.mode() == Mode.OPEN || config.connectOnly()) {
                connect(s, now);
            } else {
                startRequest(s, now, now);
            }
        }
        if (storm && launched == slots.length) {
            accepting = false; // a storm starts its M requests in the burst and no more
        }
    }

    /** The window is over: no more requests start, and connections without one close. */
    void stopAccepting() {
        accepting = false;
        for (Slot s : slots) {
            if (s.state == IDLE || s.state == BACKOFF) {
                sockets.close(s);
                setState(s, FREE);
            }
        }
    }

    /** Paced: hands every request that is due by now to an available slot, oldest first. */
    void dispatchDue(long now) {
        while (schedule.due(now)) {
            int index = schedule.poll();
            if (index < 0) {
                return; // every connection is busy: the due requests wait, and their latency runs
            }
            Slot s = slots[index];
            if (s.state == (keepAlive ? IDLE : FREE)) {
                startRequest(s, now, schedule.take());
            }
        }
    }

    private void makeAvailable(Slot s) {
        schedule.offer(s.index);
    }

    /** A request starts on {@code s}: sent at once on a connected slot, otherwise after a connect. */
    private void startRequest(Slot s, long now, long intendedOrNow) {
        s.path = order[orderNext];
        orderNext = orderNext + 1 == order.length ? 0 : orderNext + 1;
        accounting.requestStarted(s, intendedOrNow);
        if (s.state == IDLE) {
            send(s, now);
        } else {
            s.request = true;
            connect(s, now);
        }
    }

    private void connect(Slot s, long now) {
        accounting.connectIssued(s, now);
        if (!sockets.connect(s)) {
            connectFailed(s, now, sockets.failure, sockets.problem);
            return;
        }
        s.deadline = now + timeoutNanos;
        setState(s, CONNECTING);
    }

    /** An epoll event, its data as {@link SlotSockets#connect} registered it: generation << 32 | slot. */
    void onEvent(long data, int ready, long now) {
        Slot s = slots[(int) data];
        if ((int) (data >>> 32) != s.generation || s.fd < 0) {
            return; // the descriptor this event was for is closed; its slot has moved on
        }
        switch (s.state) {
            case CONNECTING -> {
                if ((ready & (Epoll.EPOLLERR | Epoll.EPOLLHUP)) != 0) {
                    sockets.handshakeFailed(s);
                    connectFailed(s, now, sockets.failure, sockets.problem);
                } else if ((ready & Epoll.EPOLLOUT) != 0) {
                    connected(s, now);
                }
            }
            case WRITING -> {
                write(s, now);
                if ((s.state == WRITING || s.state == READING) && (ready & Epoll.EPOLLIN) != 0) {
                    read(s, now, ready);
                }
            }
            case READING -> read(s, now, ready);
            case IDLE -> {
                if ((ready & (Epoll.EPOLLIN | Epoll.EPOLLERR | Epoll.EPOLLHUP)) != 0) {
                    idleInput(s, now);
                }
            }
            default -> { } // HELD: a storm keeps its connections without looking at them
        }
    }

    private void connected(Slot s, long now) {
        accounting.established(s, now);
        if (s.request) {
            send(s, now);
        } else if (storm) {
            setState(s, HELD);
        } else {
            becomeIdle(s, now);
        }
    }

    private void becomeIdle(Slot s, long now) {
        if (!accepting) {
            sockets.close(s);
            setState(s, FREE);
            return;
        }
        setState(s, IDLE);
        if (paced) {
            makeAvailable(s);
            dispatchDue(now);
        }
    }

    private void send(Slot s, long now) {
        s.request = true;
        accounting.sending(s, now);
        s.written = 0;
        s.parser.reset();
        s.deadline = now + timeoutNanos;
        write(s, now);
    }

    private void write(Slot s, long now) {
        int sent = sockets.send(s);
        if (sent == SlotSockets.FAILED) {
            requestFailed(s, now, sockets.failure, sockets.problem);
            return;
        }
        setState(s, sent == SlotSockets.DONE ? READING : WRITING);
    }

    private void read(Slot s, long now, int ready) {
        int read = sockets.read(s, ready);
        if (read == SlotSockets.DONE) {
            responded(s, now);
        } else if (read == SlotSockets.FAILED) {
            requestFailed(s, now, sockets.failure, sockets.problem);
        }
    }

    /** Input on a connection with no request: the server closed it (or sent something unasked). */
    private void idleInput(Slot s, long now) {
        if (sockets.idleInputEnds(s)) {
            sockets.close(s);
            afterConnectionLoss(s, now);
        }
    }

    private void responded(Slot s, long now) {
        accounting.responded(s, now);
        s.request = false;
        if (storm) {
            setState(s, HELD);
        } else if (!keepAlive || s.parser.closeAfter()) {
            sockets.close(s);
            afterConnectionLoss(s, now);
        } else if (paced) {
            becomeIdle(s, now);
        } else {
            setState(s, IDLE);
            nextClosedLoopRequest(s, now);
        }
    }

    /** The request on {@code s} failed after its connection was up: count it, drop the connection. */
    private void requestFailed(Slot s, long now, ErrorKind kind, String example) {
        accounting.requestFailed(s, kind, example);
        s.request = false;
        sockets.close(s);
        if (storm) {
            setState(s, FREE);
        } else {
            afterConnectionLoss(s, now);
        }
    }

    private void connectFailed(Slot s, long now, ErrorKind kind, String example) {
        accounting.connectFailed(s, kind, example);
        sockets.close(s);
        if (s.request) {
            accounting.requestFailed(s, kind, example);
            s.request = false;
        }
        if (storm || !accepting) {
            setState(s, FREE);
        } else if (paced && !keepAlive) {
            setState(s, FREE);
            makeAvailable(s);
        } else {
            // Retry on a later tick, not at once: against a closed port an immediate retry only spins.
            s.deadline = now + LoadLoop.TICK_NANOS;
            setState(s, BACKOFF);
        }
    }

    /** {@code s} has no connection any more (closed after a response, or lost): what it does next. */
    private void afterConnectionLoss(Slot s, long now) {
        setState(s, FREE);
        if (!accepting) {
            return;
        }
        if (paced && !keepAlive) {
            makeAvailable(s);
            dispatchDue(now);
        } else if (paced) {
            connect(s, now); // open loop: keep the pool of keep-alive connections full
        } else {
            nextClosedLoopRequest(s, now);
        }
    }

    private void nextClosedLoopRequest(Slot s, long now) {
        if (accepting) {
            startRequest(s, now, now);
        } else {
            sockets.close(s);
            setState(s, FREE);
        }
    }

    /** Times out connects and responses past their deadline; ends back-offs. */
    void expire(long now) {
        for (Slot s : slots) {
            if (now < s.deadline) {
                continue;
            }
            switch (s.state) {
                case CONNECTING -> connectFailed(s, now, ErrorKind.CONNECT_TIMEOUT, sockets.connectTimeoutMessage);
                case WRITING, READING -> requestFailed(s, now, ErrorKind.TIMEOUT, sockets.timeoutMessage);
                case BACKOFF -> {
                    setState(s, FREE);
                    if (config.mode() == Mode.OPEN) {
                        connect(s, now);
                    } else {
                        startRequest(s, now, now);
                    }
                }
                default -> { }
            }
        }
    }

    private void setState(Slot s, int state) {
        busy += Slot.isBusy(state) - Slot.isBusy(s.state);
        s.state = state;
    }
}
