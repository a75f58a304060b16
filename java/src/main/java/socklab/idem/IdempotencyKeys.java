package socklab.idem;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HexFormat;

/**
 * The {@code idempotency_keys} table: claiming a key, completing it with the response, releasing it
 * after a failure. Each method runs inside the caller's write transaction.
 *
 * <p>The semantics are those of the IETF httpapi Idempotency-Key draft and of Stripe: a key names one
 * request (its fingerprint: SHA-256 of method, path and canonical payload) for {@code ttl}; the first
 * request with it is processed; a retry after it completed gets the stored response; a retry while it
 * runs gets 409; the key with another payload gets 422.
 */
final class IdempotencyKeys {
    private IdempotencyKeys() {}

    /** The draft's and Stripe's bound on a key's length. */
    static final int MAX_KEY_CHARS = 255;

    /** What {@link #claim} found. */
    sealed interface Claim {
        /** The key is this request's now: process it, then {@link #complete}. {@code tookOver}: from a dead process. */
        record Acquired(boolean tookOver) implements Claim {}

        /** An earlier request with this key completed: replay its response. */
        record Completed(Reply response) implements Claim {}

        /** An earlier request with this key is still being processed by a live process. */
        record InProgress() implements Claim {}

        /** The key was first used for a different request. */
        record Mismatch() implements Claim {}
    }

    /**
     * The key from an {@code Idempotency-Key} field value: a Structured Fields string in the draft
     * ({@code "abc"}), a bare token at Stripe (both accepted); 1 to {@value #MAX_KEY_CHARS} characters.
     */
    static String parse(String fieldValue) {
        String key = fieldValue;
        if (key.length() >= 2 && key.startsWith("\"") && key.endsWith("\"")) {
            key = key.substring(1, key.length() - 1);
        }
        if (key.isEmpty()) {
            throw new Rejection(400, "Idempotency-Key is empty: send 1 to " + MAX_KEY_CHARS + " characters, e.g. a UUID");
        }
        if (key.length() > MAX_KEY_CHARS) {
            throw new Rejection(400, "Idempotency-Key has " + key.length() + " characters; at most " + MAX_KEY_CHARS
                    + " are accepted");
        }
        return key;
    }

    /** SHA-256, in hex, of {@code METHOD path\ncanonical}: what a key is bound to. */
    static String fingerprint(String method, String path, String canonicalPayload) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((method + " " + path + "\n" + canonicalPayload).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * Claims {@code key} for the request with {@code fingerprint}, for {@code ttlMillis} from {@code now}.
     * One upsert inserts a new key or replaces an expired one; otherwise the row says what to answer.
     */
    static Claim claim(Connection c, String key, String fingerprint, Owner me, long now, long ttlMillis) throws SQLException {
        try (PreparedStatement purge = c.prepareStatement("DELETE FROM idempotency_keys WHERE expires_at <= ?")) {
            purge.setLong(1, now);
            purge.executeUpdate();
        }
        try (PreparedStatement upsert = c.prepareStatement("""
                INSERT INTO idempotency_keys
                  (idempotency_key, fingerprint, state, owner_pid, owner_start, created_at, expires_at)
                VALUES (?, ?, 'in_progress', ?, ?, ?, ?)
                ON CONFLICT (idempotency_key) DO UPDATE SET
                  fingerprint = excluded.fingerprint, state = 'in_progress',
                  owner_pid = excluded.owner_pid, owner_start = excluded.owner_start,
                  status = NULL, content_type = NULL, response = NULL,
                  created_at = excluded.created_at, expires_at = excluded.expires_at
                WHERE idempotency_keys.expires_at <= excluded.created_at""")) {
            upsert.setString(1, key);
            upsert.setString(2, fingerprint);
            upsert.setLong(3, me.pid());
            upsert.setLong(4, me.startMillis());
            upsert.setLong(5, now);
            upsert.setLong(6, now + ttlMillis);
            if (upsert.executeUpdate() == 1) {
                return new Claim.Acquired(false);
            }
        }
        try (PreparedStatement select = c.prepareStatement("""
                SELECT fingerprint, state, owner_pid, owner_start, status, content_type, response
                FROM idempotency_keys WHERE idempotency_key = ?""")) {
            select.setString(1, key);
            try (ResultSet row = select.executeQuery()) {
                if (!row.next()) {
                    throw new IllegalStateException("key " + key + " neither inserted nor found inside one write transaction");
                }
                if (!row.getString(1).equals(fingerprint)) {
                    return new Claim.Mismatch();
                }
                if (row.getString(2).equals("completed")) {
                    return new Claim.Completed(new Reply(row.getInt(5), row.getString(6), row.getBytes(7), false, false));
                }
                if (new Owner(row.getLong(3), row.getLong(4)).isAlive()) {
                    return new Claim.InProgress();
                }
            }
        }
        setOwner(c, key, me);
        return new Claim.Acquired(true);
    }

    private static void setOwner(Connection c, String key, Owner me) throws SQLException {
        try (PreparedStatement update = c.prepareStatement(
                "UPDATE idempotency_keys SET owner_pid = ?, owner_start = ? WHERE idempotency_key = ?")) {
            update.setLong(1, me.pid());
            update.setLong(2, me.startMillis());
            update.setString(3, key);
            update.executeUpdate();
        }
    }

    /**
     * Stores {@code response} with {@code key}, in the transaction that made the response's effect.
     * Fails (so the caller's transaction rolls back, effect and all) unless {@code me} still holds the key.
     */
    static void complete(Connection c, String key, Owner me, Reply response) throws SQLException {
        try (PreparedStatement update = c.prepareStatement("""
                UPDATE idempotency_keys SET state = 'completed', status = ?, content_type = ?, response = ?
                WHERE idempotency_key = ? AND state = 'in_progress' AND owner_pid = ? AND owner_start = ?""")) {
            update.setInt(1, response.status());
            update.setString(2, response.contentType());
            update.setBytes(3, response.body());
            update.setString(4, key);
            update.setLong(5, me.pid());
            update.setLong(6, me.startMillis());
            if (update.executeUpdate() != 1) {
                throw new IllegalStateException("Idempotency-Key " + key + " is no longer held by this process"
                        + " (it expired while the request ran): nothing was stored");
            }
        }
    }

    /** Gives {@code key} up after processing failed before anything was committed, so a retry can run. */
    static void release(Connection c, String key, Owner me) throws SQLException {
        try (PreparedStatement delete = c.prepareStatement("""
                DELETE FROM idempotency_keys
                WHERE idempotency_key = ? AND state = 'in_progress' AND owner_pid = ? AND owner_start = ?""")) {
            delete.setString(1, key);
            delete.setLong(2, me.pid());
            delete.setLong(3, me.startMillis());
            delete.executeUpdate();
        }
    }
}
