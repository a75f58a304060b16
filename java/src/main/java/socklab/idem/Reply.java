package socklab.idem;

import java.nio.charset.StandardCharsets;

/**
 * What the comments service answers, before HTTP: a status, a content type and a body, plus two facts
 * the connection needs. {@code replayed}: the response was stored with an idempotency key by an
 * earlier request and is sent again ({@code Idempotent-Replayed: true}). {@code committed}: this
 * request has just committed a comment, so the fault injector may now drop or delay the response.
 */
public record Reply(int status, String contentType, byte[] body, boolean replayed, boolean committed) {
    public static final String JSON = "application/json";
    public static final String TEXT = "text/plain; charset=utf-8";

    static Reply json(int status, byte[] body, boolean committed) {
        return new Reply(status, JSON, body, false, committed);
    }

    /** An error: {@code reason} and a newline as a text body, as the HTTP layer writes its own errors. */
    static Reply error(int status, String reason) {
        return new Reply(status, TEXT, (reason + "\n").getBytes(StandardCharsets.UTF_8), false, false);
    }

    /** The same response sent again to a retry. */
    Reply replay() {
        return new Reply(status, contentType, body, true, false);
    }

    /** The body as text (for messages and tests). */
    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }
}
