package socklab.idem;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The tables, created on first use in one write transaction (so two processes starting on a new
 * file at once do not race). Times are epoch milliseconds.
 *
 * <p>{@code idempotency_keys} holds one row per key: the fingerprint of the request that first used
 * it, its state ({@code in_progress} while a server works on it, {@code completed} once the comment
 * and the response are committed, together), the process working on it (pid and start time, so a
 * server that finds a key held by a dead process can take it over: nothing of its work committed),
 * the stored response, and when it expires.
 */
final class Schema {
    private Schema() {}

    private static final String[] CREATE = {
        """
        CREATE TABLE IF NOT EXISTS comments (
          id         INTEGER PRIMARY KEY AUTOINCREMENT,
          author     TEXT    NOT NULL,
          text       TEXT    NOT NULL,
          created_at INTEGER NOT NULL
        )""",
        """
        CREATE TABLE IF NOT EXISTS idempotency_keys (
          idempotency_key TEXT    PRIMARY KEY,
          fingerprint     TEXT    NOT NULL,
          state           TEXT    NOT NULL CHECK (state IN ('in_progress', 'completed')),
          owner_pid       INTEGER NOT NULL,
          owner_start     INTEGER NOT NULL,
          status          INTEGER,
          content_type    TEXT,
          response        BLOB,
          created_at      INTEGER NOT NULL,
          expires_at      INTEGER NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS idempotency_keys_by_expiry ON idempotency_keys (expires_at)",
    };

    static Void create(Connection c, Path file) throws SQLException {
        try (Statement s = c.createStatement()) {
            int version;
            try (ResultSet r = s.executeQuery("PRAGMA user_version")) {
                version = r.next() ? r.getInt(1) : 0;
            }
            if (version > Database.SCHEMA_VERSION) {
                throw StoreException.unusable(file, "schema version " + version
                        + " is newer than this socklab's " + Database.SCHEMA_VERSION + ": use a newer socklab or another --data-dir");
            }
            for (String sql : CREATE) {
                s.execute(sql);
            }
            s.execute("PRAGMA user_version = " + Database.SCHEMA_VERSION);
        }
        return null;
    }
}
