package socklab.idem;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;

import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteErrorCode;

/**
 * The SQLite database file under a data directory, and a small pool of connections to it, shared by
 * the threads of one server; other processes may open the same file at the same time (two backends
 * behind nginx do).
 *
 * <p>How SQLite is set up for that, and why:
 * <ul>
 * <li>{@code journal_mode=WAL}: readers do not block the writer and the writer does not block readers,
 *     across threads and processes on one host (WAL needs shared memory, so not over NFS).</li>
 * <li>Every write runs in {@code BEGIN IMMEDIATE}, which takes the write lock at the start. A deferred
 *     transaction that reads first and writes later must upgrade its lock, and when two do that at once
 *     one gets SQLITE_BUSY at once, without waiting: busy_timeout cannot help with an upgrade.</li>
 * <li>{@code busy_timeout}: a writer that finds the lock taken (by a thread of this or another process)
 *     waits up to {@value #BUSY_TIMEOUT_MS} ms instead of failing.</li>
 * <li>{@code synchronous=FULL}: every commit is fsync'ed before it returns, so an acknowledged comment
 *     survives a power cut as well as a kill -9 (in WAL mode NORMAL survives a process crash but may
 *     lose the last commits on a power cut).</li>
 * <li>One connection per thread at a time, from a pool that grows to at most {@code maxConnections}:
 *     a JDBC connection is not for concurrent use, and opening one per request costs a file open and
 *     the schema read.</li>
 * </ul>
 */
public final class Database implements AutoCloseable {
    /** The database's file name in the data directory. */
    public static final String FILE_NAME = "socklab.db";
    static final int BUSY_TIMEOUT_MS = 5_000;
    /** Bumped with every schema change; a file with another version is refused rather than misread. */
    static final int SCHEMA_VERSION = 1;

    /** Work done on a borrowed connection. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    private final Path file;
    private final String url;
    private final SQLiteConfig config;
    private final Semaphore permits;
    private final ConcurrentLinkedQueue<Connection> idle = new ConcurrentLinkedQueue<>();
    private final List<Connection> opened = new ArrayList<>();
    private volatile boolean closed;

    private Database(Path file, int maxConnections) {
        this.file = file;
        this.url = "jdbc:sqlite:" + file;
        this.permits = new Semaphore(maxConnections, true);
        this.config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
        config.setBusyTimeout(BUSY_TIMEOUT_MS);
    }

    /**
     * Opens (creating on first use) {@value #FILE_NAME} in {@code dataDir}, creating the directory too,
     * and its tables. A directory that cannot be created or written gives one line naming it and the cause.
     */
    public static Database open(Path dataDir, int maxConnections) {
        if (maxConnections < 1) {
            throw new IllegalArgumentException("a database needs at least one connection, got " + maxConnections);
        }
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the data directory " + dataDir + " (" + e
                    + "): give a writable --data-dir", e);
        }
        if (!Files.isWritable(dataDir)) {
            throw new UncheckedIOException(new IOException("the data directory " + dataDir
                    + " is not writable: give a writable --data-dir"));
        }
        Database db = new Database(dataDir.resolve(FILE_NAME).toAbsolutePath(), maxConnections);
        try {
            db.write(c -> Schema.create(c, db.file));
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
        return db;
    }

    /** The database file. */
    public Path file() {
        return file;
    }

    /**
     * Runs {@code work} in one write transaction ({@code BEGIN IMMEDIATE} … {@code COMMIT}); any
     * exception rolls it back and is rethrown (an {@link SQLException} as {@link StoreException}).
     */
    public <T> T write(Work<T> work) {
        return withConnection(c -> {
            execute(c, "BEGIN IMMEDIATE");
            boolean committed = false;
            try {
                T result = work.run(c);
                execute(c, "COMMIT");
                committed = true;
                return result;
            } finally {
                if (!committed) {
                    rollbackQuietly(c);
                }
            }
        });
    }

    /** Runs {@code work} in one read transaction: a consistent snapshot, which never waits for writers in WAL mode. */
    public <T> T read(Work<T> work) {
        return withConnection(c -> {
            execute(c, "BEGIN DEFERRED");
            try {
                return work.run(c);
            } finally {
                rollbackQuietly(c);
            }
        });
    }

    private <T> T withConnection(Work<T> work) {
        if (closed) {
            throw new IllegalStateException("the database " + file + " is closed");
        }
        permits.acquireUninterruptibly();
        Connection c = null;
        try {
            c = borrow();
            return work.run(c);
        } catch (SQLException e) {
            throw StoreException.of(file, e);
        } finally {
            if (c != null) {
                idle.offer(c);
            }
            permits.release();
        }
    }

    private Connection borrow() throws SQLException {
        Connection c = idle.poll();
        if (c != null) {
            return c;
        }
        c = config.createConnection(url); // autocommit on: transactions are begun and ended explicitly above
        synchronized (opened) {
            opened.add(c);
        }
        return c;
    }

    private static void execute(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** Ends a transaction that failed, or a read. */
    private static void rollbackQuietly(Connection c) {
        try {
            execute(c, "ROLLBACK");
        } catch (SQLException e) {
            // "no transaction is active": SQLite already rolled back by itself (it does after some errors).
            // The original failure is what the caller sees either way.
        }
    }

    /** Closes every connection; work still running fails with "closed". */
    @Override
    public void close() {
        closed = true;
        synchronized (opened) {
            for (Connection c : opened) {
                try {
                    c.close();
                } catch (SQLException e) {
                    // Closing a connection to a local file fails only if it is already closed.
                }
            }
            opened.clear();
        }
        idle.clear();
    }

    /** Whether {@code e} says the database stayed locked past the busy timeout. */
    static boolean isBusy(SQLException e) {
        int code = e.getErrorCode() & 0xff; // the primary result code, without the extended bits
        return code == SQLiteErrorCode.SQLITE_BUSY.code || code == SQLiteErrorCode.SQLITE_LOCKED.code;
    }
}
