package socklab.http;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import socklab.sys.Binding;

/**
 * A connection's input: one native buffer that read(2) fills and the parser reads in place, holding
 * the request being parsed and whatever follows it (pipelined requests).
 *
 * <p>The buffer holds a whole head plus some slack ({@link HttpLimits#inputCapacity}). A body that fits
 * stays in the buffer and the handler sees a slice of it; a larger one (up to the body limit) is
 * gathered into a Java array as it arrives, while the head stays in place for the handler. Consumed
 * bytes are dropped by moving what is left to the front, only when room is needed.
 */
final class InputBuffer {
    static final int READY = 1;
    static final int NEED_MORE = 0;
    private static final MemorySegment NO_BODY = MemorySegment.ofArray(new byte[0]);

    private final MemorySegment buf;
    private final HttpLimits limits;
    private final HttpRequest request;
    /** Unconsumed input is {@code buf[start, limit)}; the head search has looked at everything before {@code scanned}. */
    private int start;
    private int limit;
    private int scanned;
    private boolean headParsed;
    private int bodyStart;
    /** A body larger than the buffer is gathered here; null otherwise. */
    private byte[] bodyArray;
    private int bodyFilled;
    private int requestEnd;
    private boolean wantsContinue;
    private long lastAsked;

    InputBuffer(MemorySegment buf, HttpLimits limits, HttpRequest request) {
        this.buf = buf;
        this.limits = limits;
        this.request = request;
    }

    void clear() {
        start = limit = scanned = 0;
        headParsed = false;
        bodyArray = null;
    }

    /** No byte of a next request has arrived. */
    boolean isEmpty() {
        return start == limit && !headParsed;
    }

    /** A request head is complete and its body is still arriving. */
    boolean inBody() {
        return headParsed;
    }

    /**
     * Parses what is buffered into the request: READY when the request and its body are complete,
     * NEED_MORE, or the error status to answer with ({@link HttpRequest#error} says why).
     */
    int parse() {
        if (!headParsed) {
            int status = parseHead();
            if (status != READY) {
                return status;
            }
        }
        long length = request.contentLength;
        if (bodyArray != null) {
            int n = (int) Math.min(limit - bodyStart, length - bodyFilled);
            MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, bodyStart, bodyArray, bodyFilled, n);
            bodyFilled += n;
            MemorySegment.copy(buf, bodyStart + n, buf, bodyStart, limit - bodyStart - n); // keep what follows the body
            limit -= n;
            if (bodyFilled < length) {
                return NEED_MORE;
            }
            request.body = MemorySegment.ofArray(bodyArray);
            requestEnd = bodyStart;
        } else {
            if (limit - bodyStart < length) {
                return NEED_MORE;
            }
            request.body = length == 0 ? NO_BODY : buf.asSlice(bodyStart, length);
            requestEnd = bodyStart + (int) length;
        }
        return READY;
    }

    private int parseHead() {
        start = HttpParser.skipEmptyLines(buf, start, limit);
        if (start == limit) {
            start = limit = scanned = 0;
            return NEED_MORE;
        }
        int end = HttpParser.findHeadEnd(buf, start, scanned, limit);
        scanned = limit;
        if (end < 0 ? limit - start >= limits.maxHeadBytes() : end - start > limits.maxHeadBytes()) {
            request.error = "the request head is larger than " + limits.maxHeadBytes() + " bytes";
            return HttpStatus.HEADER_FIELDS_TOO_LARGE;
        }
        if (end < 0) {
            return NEED_MORE;
        }
        int status = HttpParser.parseHead(buf, start, end, limits.maxBodyBytes(), request);
        if (status != 0) {
            return status;
        }
        headParsed = true;
        bodyStart = end;
        long length = request.contentLength;
        if (length > 0) {
            boolean fitsInBuffer = bodyStart - start + length <= buf.byteSize();
            if (start > 0 && (!fitsInBuffer || bodyStart + length > buf.byteSize())) {
                compact();
            }
            if (!fitsInBuffer) {
                bodyArray = new byte[(int) length];
                bodyFilled = 0;
            }
            wantsContinue = request.expectContinue && request.minorVersion == 1 && limit - bodyStart < length;
        }
        return READY;
    }

    /** Whether the client waits for {@code 100 Continue} before sending the body; true once per request. */
    boolean takeContinue() {
        boolean wants = wantsContinue;
        wantsContinue = false;
        return wants;
    }

    /** Moves unconsumed input to the front; the parsed head's offsets are relative, so they move along. */
    private void compact() {
        MemorySegment.copy(buf, start, buf, 0, limit - start);
        limit -= start;
        scanned -= start;
        bodyStart -= start;
        request.base -= start;
        start = 0;
    }

    /**
     * One read(2) into the free end of the buffer: the bytes read, 0 at end of stream, or -EAGAIN.
     * {@link #lastAsked} then tells how many bytes it had room for, for the short-read rule.
     */
    long fill(Binding sys, int fd) {
        if (start > 0 && limit == buf.byteSize()) {
            compact();
        }
        MemorySegment room = limit == 0 ? buf : buf.asSlice(limit); // the usual read needs no slice at all
        lastAsked = room.byteSize();
        long n = sys.read(fd, room);
        if (n > 0) {
            limit += (int) n;
        }
        return n;
    }

    long lastAsked() {
        return lastAsked;
    }

    /** The request is answered: its bytes can go. */
    void consume() {
        start = requestEnd;
        headParsed = false;
        bodyArray = null;
        if (start == limit) {
            start = limit = 0;
        }
        scanned = start;
    }

    /** After a bad request nothing that follows can be trusted to be a request: consume it all. */
    void consumeAll() {
        requestEnd = limit;
        request.reset(buf, start); // not HEAD, HTTP/1.1: the error has a body and is framed for any client
    }

    /** The whole buffer, to read into and throw away while lingering. */
    MemorySegment scratch() {
        return buf;
    }
}
