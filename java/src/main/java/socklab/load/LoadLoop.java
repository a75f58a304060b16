package socklab.load;

import socklab.sys.Epoll;
import socklab.sys.Errno;
import socklab.sys.Fd;
import socklab.sys.Libc;
import socklab.sys.NativeException;
import socklab.sys.SockAddr;
import socklab.sys.SocketOption;
import socklab.sys.SocketOptions;
import socklab.sys.Sockets;

import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One load-generator thread: an epoll loop over its share of the connections ("slots"), on
 * non-blocking sockets registered edge-triggered for reading and writing once per connection, so a
 * keep-alive request costs one send, one read and a share of one epoll_wait, and no epoll_ctl.
 *
 * <p>Everything a request touches is allocated up front: the request bytes (one native segment per
 * path), the read buffer, the event array, the slots with their parsers, the counters and the
 * histograms. Timeouts are found by a scan of the slots every {@value #TICK_MILLIS} ms. The loop waits
 * with epoll_pwait2, whose timeout is in nanoseconds, so a paced schedule is kept to the kernel's timer
 * slack rather than to whole milliseconds; the lag that remains is measured and reported (send delay).
 *
 * <p>Accounting: a request is counted when it starts (on a connected slot, or on a slot that must
 * connect first) and ends in exactly one response or one {@link ErrorKind}; a connect is counted
 * when issued and ends established or in a connect-phase kind. A request that waited for its
 * connection also carries that connection's failure. Requests belong to the phase (warm-up or
 * window) of their start (paced: of their intended time); connects to the phase they were issued in.
 */
final class LoadLoop implements Runnable {
    static final int TICK_MILLIS = 10;
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS);
    private static final int READ_BUFFER = 64 * 1024;
    /** Connects issued before the loop looks at events again, so a burst does not delay its own completions. */
    private static final int LAUNCH_BATCH = 8;
    private static final int EVENTS = 256;
    private static final int EDGE = Epoll.EPOLLIN | Epoll.EPOLLOUT | Epoll.EPOLLRDHUP | Epoll.EPOLLET;
    /** In a harvested event: the stream has ended or failed, so a short read does not mean "drained". */
    private static final int END = Epoll.EPOLLRDHUP | Epoll.EPOLLHUP | Epoll.EPOLLERR;

    // Slot states. BUSY states hold an outcome still to come and keep the loop running past the window.
    private static final int FREE = 0;       // no descriptor; paced conn-per-request: available
    private static final int BACKOFF = 1;    // no descriptor; a connect failed, retry at the deadline
    private static final int CONNECTING = 2; // busy
    private static final int IDLE = 3;      // connected, no request (open loop: available)
    private static final int WRITING = 4;    // busy
    private static final int READING = 5;    // busy
    private static final int HELD = 6;       // storm: settled, kept open until the run ends

    private static final class Slot {
        final int index;
        final ResponseParser parser = new ResponseParser();
        int state = FREE;
        int fd = -1;
        int generation;
        long deadline;
        long connectStart;
        boolean connectMeasured;
        boolean request;
        boolean measured;
        int path;
        long latencyStart;
        long written;
        /** The connection has been counted for its worker in the warm-up / window tally. */
        boolean countedWarm;
        boolean countedWindow;

        Slot(int index) {
            this.index = index;
        }
    }

    private final LoadConfig config;
    private final boolean keepAlive;
    private final boolean paced;
    private final boolean latencyFromSend;
    private final boolean storm;
    private final AtomicBoolean abort;
    private final long timeoutNanos;
    private final String timeoutMessage;
    private final String connectTimeoutMessage;

    private final Arena arena = Arena.ofShared();
    private final MemorySegment address;
    private final int addressLength;
    private final int family;
    private final MemorySegment[] requests;
    private final int[] order;
    private int orderNext;
    private final MemorySegment readBuffer;
    private final MemorySegment events;
    private final MemorySegment timespec;
    private final int epfd;

    private final Slot[] slots;
    /** Paced modes: when requests are due, and which slots are free to take them; null when unpaced. */
    private final PacedSchedule schedule;
    private int launched;
    private int busy;
    private boolean accepting = true;

    final WorkerTable workers = new WorkerTable();
    final Tally warm;
    final Tally window;

    private long start;
    private long windowStart;
    private long windowEnd;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private boolean windowOpen;
    private long allocatedAtWindowStart;
    /** Bytes this loop's thread allocated on the Java heap during the window: the no-allocation self-check. */
    long allocatedInWindow;

    // Read by the generator's progress reporting while the loop runs.
    volatile long progressResponses;
    volatile long progressErrors;
    volatile long progressSettled;

    /**
     * @param connections this loop's share of the connections
     * @param rate        this loop's share of the rate (0 when unpaced)
     */
    LoadLoop(LoadConfig config, int connections, double rate, byte[][] requestBytes, AtomicBoolean abort) {
        this.config = config;
        Mode mode = config.mode();
        this.storm = mode == Mode.STORM;
        this.keepAlive = mode == Mode.CLOSED || mode == Mode.OPEN;
        this.paced = rate > 0;
        this.latencyFromSend = !paced && mode != Mode.CONN_PER_REQUEST;
        this.abort = abort;
        this.timeoutNanos = config.timeout().toNanos();
        String target = SockAddr.format(config.target());
        this.timeoutMessage = "no complete response from " + target + " within " + config.timeout().toMillis() + " ms";
        this.connectTimeoutMessage = "connect(" + target + "): no handshake within " + config.timeout().toMillis() + " ms";
        this.schedule = paced ? new PacedSchedule(rate, connections) : null;

        this.address = arena.allocate(SockAddr.SOCKADDR_STORAGE);
        this.addressLength = SockAddr.write(config.target(), address);
        this.family = SockAddr.family(config.target().getAddress());
        this.requests = new MemorySegment[requestBytes.length];
        for (int i = 0; i < requestBytes.length; i++) {
            requests[i] = arena.allocate(requestBytes[i].length);
            MemorySegment.copy(requestBytes[i], 0, requests[i], java.lang.foreign.ValueLayout.JAVA_BYTE, 0, requestBytes[i].length);
        }
        this.order = RequestPath.interleave(config.paths());
        this.readBuffer = arena.allocate(READ_BUFFER);
        this.events = Epoll.allocateEvents(arena, Math.min(EVENTS, connections));
        this.timespec = arena.allocate(Epoll.TIMESPEC);
        this.slots = new Slot[connections];
        for (int i = 0; i < connections; i++) {
            slots[i] = new Slot(i);
        }
        this.warm = new Tally(requestBytes.length);
        this.window = new Tally(requestBytes.length);
        this.epfd = Epoll.create(Epoll.EPOLL_CLOEXEC);
    }

    /**
     * Makes the first call through each downcall handle the loop uses, against a port of its own: a
     * socket bound but not listening, so the connect is refused without a packet leaving loopback or
     * a server seeing it. The first call links the handle (milliseconds of method-handle set-up);
     * without this, a storm's first connects would carry that set-up in their latency.
     */
    static void linkDowncalls() {
        int bound = Sockets.tcpSocket(SockAddr.AF_INET, Sockets.SOCK_CLOEXEC);
        int epfd = Epoll.create(Epoll.EPOLL_CLOEXEC);
        int fd = Sockets.tcpSocket(SockAddr.AF_INET, Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC);
        try (Arena scratch = Arena.ofConfined()) {
            Sockets.bind(bound, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            MemorySegment address = scratch.allocate(SockAddr.SOCKADDR_STORAGE);
            int length = SockAddr.write(Sockets.localAddress(bound), address);
            MemorySegment oneByte = scratch.allocate(1);
            try {
                Sockets.connect(fd, address, length);
                Epoll.add(epfd, fd, EDGE, 0);
                Epoll.waitNanos(epfd, Epoll.allocateEvents(scratch, 1), scratch.allocate(Epoll.TIMESPEC), 100_000_000L);
                SocketOptions.getInt(fd, SocketOption.SO_ERROR);
                Fd.send(fd, oneByte, Fd.MSG_NOSIGNAL);
            } catch (NativeException refused) {
                // expected: nothing listens there; the handles are linked all the same
            }
            try {
                Fd.read(fd, oneByte);
            } catch (NativeException notConnected) {
                // expected as well
            }
        } finally {
            Fd.closeQuietly(fd);
            Fd.closeQuietly(epfd);
            Fd.closeQuietly(bound);
        }
    }

    /** Fixes the run's clock: every loop of a run gets the same start, so their schedules line up. */
    void startClock(long startNanos) {
        start = startNanos;
        windowStart = start + config.warmup().toNanos();
        windowEnd = storm ? Long.MAX_VALUE : windowStart + config.duration().toNanos();
        if (paced) {
            schedule.fix(start, windowStart, windowEnd);
        }
    }

    /** Paced: requests intended inside the window; 0 when unpaced. */
    long scheduledInWindow() {
        return paced ? schedule.inWindow() : 0;
    }

    @Override
    public void run() {
        long nextTick = start + TICK_NANOS;
        while (!abort.get()) {
            long now = System.nanoTime();
            if (paced && accepting) {
                dispatchDue(now); // before the window check: requests due inside the window still leave
            }
            if (!windowOpen && now >= windowStart) {
                windowOpen = true;
                allocatedAtWindowStart = THREADS.getCurrentThreadAllocatedBytes();
            }
            if (accepting && now >= windowEnd) {
                allocatedInWindow = THREADS.getCurrentThreadAllocatedBytes() - allocatedAtWindowStart;
                stopAccepting();
            }
            if (launched < slots.length) {
                launch(now);
            }
            if (!accepting && busy == 0 && launched == slots.length) {
                break;
            }
            if (now >= nextTick) {
                expire(now);
                nextTick = now + TICK_NANOS;
            }
            // Nanosecond timeouts: an open-loop schedule wakes the loop when the next request is due,
            // not at the next millisecond (which would add up to 1 ms of the generator's own lag).
            int ready = Epoll.waitNanos(epfd, events, timespec, nanosUntilWake(now, nextTick));
            for (int i = 0; i < ready; i++) {
                onEvent(Epoll.data(events, i), Epoll.events(events, i), System.nanoTime());
            }
            progressResponses = warm.responses + window.responses;
            progressErrors = warm.errorCount() + window.errorCount();
            progressSettled = window.established + sum(window.connectErrors);
        }
        if (storm) {
            allocatedInWindow = THREADS.getCurrentThreadAllocatedBytes() - allocatedAtWindowStart;
        }
    }

    /** Closes every descriptor still open (storm holds its connections until here) and frees the buffers. */
    void close() {
        for (Slot s : slots) {
            closeFd(s);
        }
        Fd.closeQuietly(epfd);
        arena.close();
    }

    /** Issues the first action of up to {@link #LAUNCH_BATCH} slots. */
    private void launch(long now) {
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

    private long nanosUntilWake(long now, long nextTick) {
        if (launched < slots.length) {
            return 0;
        }
        long until = nextTick;
        if (accepting) {
            until = Math.min(until, windowEnd);
            if (paced) {
                until = Math.min(until, schedule.wakeAt());
            }
        }
        return until - now;
    }

    private void stopAccepting() {
        accepting = false;
        for (Slot s : slots) {
            if (s.state == IDLE || s.state == BACKOFF) {
                closeFd(s);
                setState(s, FREE);
            }
        }
    }

    /** Paced: hands every request that is due by now to an available slot, oldest first. */
    private void dispatchDue(long now) {
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
        s.measured = intendedOrNow >= windowStart;
        s.path = order[orderNext];
        orderNext = orderNext + 1 == order.length ? 0 : orderNext + 1;
        s.latencyStart = intendedOrNow;
        Tally t = tally(s);
        t.requests++;
        t.requestsPerPath[s.path]++;
        if (s.state == IDLE) {
            send(s, now);
        } else {
            s.request = true;
            connect(s, now);
        }
    }

    private void connect(Slot s, long now) {
        s.connectStart = now;
        s.connectMeasured = now >= windowStart;
        connectTally(s).connects++;
        int fd;
        try {
            fd = Sockets.tcpSocket(family, Sockets.SOCK_NONBLOCK | Sockets.SOCK_CLOEXEC);
        } catch (NativeException e) {
            connectFailed(s, now, ErrorKind.CONNECT_ERROR, e.getMessage());
            return;
        }
        s.fd = fd;
        s.generation++;
        s.countedWarm = false;
        s.countedWindow = false;
        int r;
        try {
            r = Sockets.connect(fd, address, addressLength);
        } catch (NativeException e) {
            connectFailed(s, now, ErrorKind.ofConnect(e.errno()), describeConnect(e.errno()));
            return;
        }
        // Registered once for both directions, edge-triggered: the handshake's end shows as EPOLLOUT
        // (also when connect returned 0: ADD reports readiness that is already there).
        Epoll.add(epfd, fd, EDGE, ((long) s.generation << 32) | s.index);
        s.deadline = now + timeoutNanos;
        setState(s, CONNECTING);
        assert r == 0 || r == -Errno.EINPROGRESS;
    }

    private void onEvent(long data, int ready, long now) {
        Slot s = slots[(int) data];
        if ((int) (data >>> 32) != s.generation || s.fd < 0) {
            return; // the descriptor this event was for is closed; its slot has moved on
        }
        switch (s.state) {
            case CONNECTING -> {
                if ((ready & (Epoll.EPOLLERR | Epoll.EPOLLHUP)) != 0) {
                    int errno = SocketOptions.getInt(s.fd, SocketOption.SO_ERROR);
                    connectFailed(s, now, errno == 0 ? ErrorKind.CONNECT_ERROR : ErrorKind.ofConnect(errno),
                            errno == 0 ? "connect(" + SockAddr.format(config.target()) + "): hung up" : describeConnect(errno));
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
        Tally t = connectTally(s);
        t.established++;
        Tally.record(t.connectLatency, now - s.connectStart);
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
            closeFd(s);
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
        if (latencyFromSend) {
            s.latencyStart = now;
        } else if (paced) {
            Tally.record(tally(s).sendDelay, now - s.latencyStart);
        }
        s.written = 0;
        s.parser.reset();
        s.deadline = now + timeoutNanos;
        write(s, now);
    }

    private void write(Slot s, long now) {
        MemorySegment request = requests[s.path];
        long n;
        try {
            n = Fd.send(s.fd, s.written == 0 ? request : request.asSlice(s.written), Fd.MSG_NOSIGNAL);
        } catch (NativeException e) {
            requestFailed(s, now, ErrorKind.ofTransfer(e.errno()), e.getMessage());
            return;
        }
        if (n > 0) {
            s.written += n;
        }
        setState(s, s.written == request.byteSize() ? READING : WRITING);
    }

    /**
     * Reads until the response is complete or the socket is drained. Edge-triggered, a short read
     * means drained: bytes arriving later bring a new edge. The end of the stream is the exception:
     * a FIN that arrived before the event was harvested brings no new edge, but shows in the event
     * as EPOLLRDHUP, and then the loop reads on to the 0 (or the error).
     */
    private void read(Slot s, long now, int ready) {
        while (true) {
            long n;
            try {
                n = Fd.read(s.fd, readBuffer);
            } catch (NativeException e) {
                requestFailed(s, now, ErrorKind.ofTransfer(e.errno()), e.getMessage());
                return;
            }
            if (n == -Errno.EAGAIN) {
                return;
            }
            int result = n == 0 ? s.parser.endOfStream() : s.parser.feed(readBuffer, (int) n, workers);
            if (result == ResponseParser.COMPLETE) {
                responded(s, now);
                return;
            }
            if (n == 0) {
                requestFailed(s, now, ErrorKind.CLOSED_EARLY, "connection closed by the server before the whole response");
                return;
            }
            if (result == ResponseParser.BAD) {
                requestFailed(s, now, ErrorKind.BAD_RESPONSE, s.parser.problem());
                return;
            }
            if (n < READ_BUFFER && (ready & END) == 0) {
                return;
            }
        }
    }

    /** Input on a connection with no request: the server closed it (or sent something unasked). */
    private void idleInput(Slot s, long now) {
        try {
            if (Fd.read(s.fd, readBuffer) == -Errno.EAGAIN) {
                return;
            }
        } catch (NativeException e) {
            // reset while idle: nothing was lost, the slot reconnects below
        }
        closeFd(s);
        afterConnectionLoss(s, now);
    }

    private void responded(Slot s, long now) {
        Tally t = tally(s);
        t.responses++;
        t.responsesPerPath[s.path]++;
        if (s.measured && now < windowEnd) {
            t.responsesInWindow++;
        }
        t.statuses[s.parser.status()]++;
        int worker = s.parser.worker();
        t.responsesPerWorker[worker]++;
        if (!(s.measured ? s.countedWindow : s.countedWarm)) {
            t.connectionsPerWorker[worker]++; // each connection once per phase, by its first response there
            if (s.measured) {
                s.countedWindow = true;
            } else {
                s.countedWarm = true;
            }
        }
        Tally.record(t.latencyPerPath[s.path], now - s.latencyStart);
        s.request = false;
        if (storm) {
            setState(s, HELD);
        } else if (!keepAlive || s.parser.closeAfter()) {
            closeFd(s);
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
        tally(s).requestFailed(kind, example);
        s.request = false;
        closeFd(s);
        if (storm) {
            setState(s, FREE);
        } else {
            afterConnectionLoss(s, now);
        }
    }

    private void connectFailed(Slot s, long now, ErrorKind kind, String example) {
        connectTally(s).connectFailed(kind, example);
        closeFd(s);
        if (s.request) {
            tally(s).requestFailed(kind, example);
            s.request = false;
        }
        if (storm || !accepting) {
            setState(s, FREE);
        } else if (paced && !keepAlive) {
            setState(s, FREE);
            makeAvailable(s);
        } else {
            // Retry on a later tick, not at once: against a closed port an immediate retry only spins.
            s.deadline = now + TICK_NANOS;
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
            closeFd(s);
            setState(s, FREE);
        }
    }

    /** Times out connects and responses past their deadline; ends back-offs. */
    private void expire(long now) {
        for (Slot s : slots) {
            if (now < s.deadline) {
                continue;
            }
            switch (s.state) {
                case CONNECTING -> connectFailed(s, now, ErrorKind.CONNECT_TIMEOUT, connectTimeoutMessage);
                case WRITING, READING -> requestFailed(s, now, ErrorKind.TIMEOUT, timeoutMessage);
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
        busy += isBusy(state) - isBusy(s.state);
        s.state = state;
    }

    private static int isBusy(int state) {
        return state == CONNECTING || state == WRITING || state == READING ? 1 : 0;
    }

    private void closeFd(Slot s) {
        if (s.fd >= 0) {
            Fd.closeQuietly(s.fd); // close(2) also takes it out of the epoll set
            s.fd = -1;
        }
    }

    private Tally tally(Slot s) {
        return s.measured ? window : warm;
    }

    private Tally connectTally(Slot s) {
        return s.connectMeasured ? window : warm;
    }

    private String describeConnect(int errno) {
        return "connect(" + SockAddr.format(config.target()) + "): " + Libc.errnoName(errno) + " (" + Libc.errnoText(errno) + ")";
    }

    private static long sum(long[] values) {
        long n = 0;
        for (long v : values) {
            n += v;
        }
        return n;
    }
}
