package socklab.http;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import socklab.sys.Binding;
import socklab.sys.Errno;

/**
 * A connection's output: responses are encoded into one native buffer and leave in as few write(2)
 * calls as possible (the responses to ten pipelined requests go out in one). A body larger than the
 * free space is copied in pieces as the socket drains, so the buffer has a fixed size whatever the
 * handlers answer.
 */
final class OutputBuffer {
    private static final MemorySegment CRLF = HttpStatus.encode("\r\n");
    private static final MemorySegment CONTENT_TYPE = HttpStatus.encode("Content-Type: ");
    private static final MemorySegment CONTENT_LENGTH = HttpStatus.encode("Content-Length: ");
    private static final MemorySegment CLOSE = HttpStatus.encode("Connection: close\r\n");
    private static final MemorySegment KEEP_ALIVE = HttpStatus.encode("Connection: keep-alive\r\n");
    private static final MemorySegment CONTINUE = HttpStatus.encode("HTTP/1.1 100 Continue\r\n\r\n");

    private final MemorySegment buf;
    private int limit;
    private int flushed;
    /** The part of the current response's body not yet copied in; null when there is none. */
    private MemorySegment pendingBody;
    private long pendingOffset;

    OutputBuffer(MemorySegment buf) {
        this.buf = buf;
    }

    void clear() {
        limit = 0;
        flushed = 0;
        pendingBody = null;
    }

    /** Nothing buffered and nothing left to copy. */
    boolean isEmpty() {
        return flushed == limit && pendingBody == null;
    }

    /** Bytes encoded but not yet written. */
    int unwritten() {
        return limit - flushed;
    }

    /** The size of {@code r}'s head as {@link #head} would encode it. */
    long headSize(HttpResponse r, boolean close, int minorVersion) {
        long size = HttpStatus.statusLine(r.status).byteSize() + HttpDate.line().byteSize() + r.workerLine.byteSize()
                + CONTENT_LENGTH.byteSize() + digits(r.body.byteSize()) + 2 * CRLF.byteSize();
        if (r.contentType != null) {
            size += CONTENT_TYPE.byteSize() + r.contentType.length() + CRLF.byteSize();
        }
        for (int h = 0; h < r.headerCount; h++) {
            size += r.names[h].length() + 2 + r.values[h].length() + CRLF.byteSize();
        }
        if (close || minorVersion == 0) {
            size += close ? CLOSE.byteSize() : KEEP_ALIVE.byteSize();
        }
        return size;
    }

    /** Whether any head of that size can ever fit. */
    boolean canHold(long headSize) {
        return headSize <= buf.byteSize();
    }

    /**
     * Encodes the head of {@code r} (and queues its body unless {@code headOnly}, for HEAD); false
     * when it does not fit in the free space now, and the caller must flush first.
     */
    boolean head(HttpResponse r, boolean headOnly, boolean close, int minorVersion) {
        long size = headSize(r, close, minorVersion);
        if (size > buf.byteSize() - limit) {
            return false;
        }
        put(HttpStatus.statusLine(r.status));
        put(HttpDate.line());
        put(r.workerLine);
        if (r.contentType != null) {
            put(CONTENT_TYPE);
            putAscii(r.contentType);
            put(CRLF);
        }
        for (int h = 0; h < r.headerCount; h++) {
            putAscii(r.names[h]);
            putAscii(": ");
            putAscii(r.values[h]);
            put(CRLF);
        }
        put(CONTENT_LENGTH);
        putDecimal(r.body.byteSize());
        put(CRLF);
        if (close) {
            put(CLOSE);
        } else if (minorVersion == 0) {
            put(KEEP_ALIVE); // an HTTP/1.0 client only keeps the connection when told so
        }
        put(CRLF);
        pendingBody = headOnly || r.body.byteSize() == 0 ? null : r.body;
        pendingOffset = 0;
        return true;
    }

    /** Copies as much of the pending body as fits; true when all of it is in the buffer. */
    boolean copyBody() {
        if (pendingBody == null) {
            return true;
        }
        long n = Math.min(pendingBody.byteSize() - pendingOffset, buf.byteSize() - limit);
        MemorySegment.copy(pendingBody, pendingOffset, buf, limit, n);
        limit += (int) n;
        pendingOffset += n;
        if (pendingOffset == pendingBody.byteSize()) {
            pendingBody = null;
        }
        return pendingBody == null;
    }

    /** Queues the interim {@code 100 Continue} (RFC 9110 §10.1.1); false when there is no room now. */
    boolean interimContinue() {
        if (CONTINUE.byteSize() > buf.byteSize() - limit) {
            return false;
        }
        put(CONTINUE);
        return true;
    }

    /**
     * Writes what is buffered: the number of bytes written (0 when nothing was), or {@code -EAGAIN}
     * when the socket is full before everything left. The buffer is reset once all is written.
     */
    long flush(Binding sys, int fd) {
        long total = 0;
        while (flushed < limit) {
            // A slice that only flows into the call: C2 scalar-replaces it when it inlines the write into
            // this method's compilation (the usual case); never "the whole buffer or a slice", a merge it
            // cannot replace. When it cannot, the slice is the one allocation a request costs (40 bytes).
            long n = sys.write(fd, buf.asSlice(flushed, limit - flushed));
            if (n == -Errno.EAGAIN) {
                return total == 0 ? -Errno.EAGAIN : total;
            }
            flushed += (int) n;
            total += n;
        }
        flushed = 0;
        limit = 0;
        return total;
    }

    private void put(MemorySegment bytes) {
        MemorySegment.copy(bytes, 0, buf, limit, bytes.byteSize());
        limit += (int) bytes.byteSize();
    }

    private void putAscii(String text) {
        for (int i = 0; i < text.length(); i++) {
            buf.set(ValueLayout.JAVA_BYTE, limit++, (byte) text.charAt(i));
        }
    }

    private void putDecimal(long value) {
        int n = digits(value);
        for (int i = n - 1; i >= 0; i--) {
            buf.set(ValueLayout.JAVA_BYTE, limit + i, (byte) ('0' + value % 10));
            value /= 10;
        }
        limit += n;
    }

    private static int digits(long value) {
        int n = 1;
        while (value >= 10) {
            value /= 10;
            n++;
        }
        return n;
    }
}
