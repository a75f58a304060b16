package socklab.idem;

import java.nio.file.Path;
import java.sql.SQLException;

/**
 * A failure of the SQLite store, naming the database file and SQLite's own message. {@link #busy()}
 * tells the one failure a client can cure by retrying: the database stayed locked past the busy timeout.
 */
public final class StoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final boolean busy;

    private StoreException(String message, boolean busy, Throwable cause) {
        super(message, cause);
        this.busy = busy;
    }

    static StoreException of(Path file, SQLException e) {
        return new StoreException(file + ": " + e.getMessage(), Database.isBusy(e), e);
    }

    /** A store in a state this version cannot use (say, a newer schema); the message names the fix. */
    static StoreException unusable(Path file, String why) {
        return new StoreException(file + ": " + why, false, null);
    }

    /** Whether the database stayed locked by another writer past the busy timeout. */
    public boolean busy() {
        return busy;
    }
}
