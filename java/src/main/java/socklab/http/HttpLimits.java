package socklab.http;

/**
 * The limits every connection enforces; all of them are {@code serve} options.
 *
 * @param maxHeadBytes        request line plus headers, including the blank line; more gives 431
 * @param maxBodyBytes        Content-Length above this gives 413 (the body is not read)
 * @param idleTimeoutMillis   a keep-alive connection with no request in progress is closed after this
 *                            long; the same bound applies to a request body or a response that makes
 *                            no progress
 * @param headerTimeoutMillis from the first byte of a request (or from accept) to its complete head;
 *                            a slow head gets 408 and the connection is closed (slowloris)
 * @param lingerMillis        after a response that closes the connection, how long the server keeps
 *                            reading and discarding what the client still sends before it closes, so
 *                            that unread input does not turn the close into a reset that can destroy
 *                            the response (nginx's lingering close)
 * @param drainMillis         once the server is stopping, how long a connection with no request in
 *                            progress stays open for one more: a request already on its way is then
 *                            answered (with {@code Connection: close}) instead of crossing the close.
 *                            After it the server closes its side first (FIN) and discards what still
 *                            comes, as in a lingering close, so a late request ends in an end of
 *                            stream, never a reset. HTTP/1.1 has no way to tell an idle client not to
 *                            send; the grace only makes the race rare (nginx closes idle connections
 *                            at once; Envoy's drain time is the same idea, 600 s by default)
 */
public record HttpLimits(int maxHeadBytes, long maxBodyBytes, long idleTimeoutMillis, long headerTimeoutMillis,
                         long lingerMillis, long drainMillis) {

    /**
     * 8 KiB head and 1 MiB body; nginx's keepalive_timeout (75 s), client_header_timeout (60 s),
     * lingering_timeout (5 s); a drain of 1 s, a long time for a request already sent on loopback or
     * a LAN, short enough for an interactive Ctrl-C.
     */
    public static final HttpLimits DEFAULTS = new HttpLimits(8192, 1 << 20, 75_000, 60_000, 5_000, 1_000);

    /** Bytes of input room beyond the head limit: the start of a body or of the next pipelined request. */
    private static final int INPUT_SLACK = 4096;

    public HttpLimits {
        require(maxHeadBytes >= 256 && maxHeadBytes <= 1 << 20, "--max-head-bytes must be 256..1048576, got " + maxHeadBytes);
        // A body larger than the input buffer is gathered into one Java array.
        require(maxBodyBytes >= 0 && maxBodyBytes <= Integer.MAX_VALUE - 8, "--max-body-bytes must be 0..2147483639, got " + maxBodyBytes);
        require(idleTimeoutMillis >= 1, "--idle-timeout-ms must be >= 1 ms, got " + idleTimeoutMillis);
        require(headerTimeoutMillis >= 1, "--header-timeout-ms must be >= 1 ms, got " + headerTimeoutMillis);
        require(lingerMillis >= 1, "--linger-ms must be >= 1 ms, got " + lingerMillis);
        require(drainMillis >= 1, "--drain-ms must be >= 1 ms, got " + drainMillis);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** Size of each connection's input buffer: a whole head, plus room for what follows it. */
    public int inputCapacity() {
        return maxHeadBytes + INPUT_SLACK;
    }
}
