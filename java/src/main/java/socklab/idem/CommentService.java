package socklab.idem;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.InstantSource;
import java.util.List;
import java.util.function.Supplier;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The comments API without HTTP: what {@code POST /comments}, {@code GET /comments/add} and
 * {@code GET /comments} answer, given the Idempotency-Key field (null when absent) and the payload.
 * Thread-safe; every call borrows a connection for its transactions only, never while a response waits.
 *
 * <p>A mutating request with a key goes through two write transactions. The first claims the key (or
 * finds what to answer instead: the stored response, 409 or 422) and commits, so that other threads
 * and processes see the key in progress. The second inserts the comment and stores the response with
 * the key: both or neither, so no crash can leave a comment whose key would let a retry insert it
 * again, nor a completed key without its comment. Without a key a request is one plain insert, which
 * a retry repeats: the duplicate the experiment shows.
 */
public final class CommentService implements AutoCloseable {
    static final String POST_PATH = "/comments";
    static final String ADD_PATH = "/comments/add";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Database db;
    private final CommentsConfig config;
    private final InstantSource clock;
    private final Owner owner;
    /** Runs between claiming a key and processing the request: tests hold a request there to see 409. */
    private volatile Runnable afterClaim = () -> {};

    CommentService(Database db, CommentsConfig config, InstantSource clock, Owner owner) {
        this.db = db;
        this.config = config;
        this.clock = clock;
        this.owner = owner;
    }

    /** Opens the database under {@code config.dataDir()} with a pool of at most {@code connections}. */
    public static CommentService open(CommentsConfig config, int connections) {
        return new CommentService(Database.open(config.dataDir(), connections), config, InstantSource.system(), Owner.CURRENT);
    }

    public CommentsConfig config() {
        return config;
    }

    /** {@code POST /comments} with a JSON body: 201 with the comment. */
    public Reply post(String idempotencyKey, byte[] body) {
        return mutate("POST", POST_PATH, idempotencyKey, () -> NewComment.fromJson(body), 201);
    }

    /** {@code GET /comments/add?text=…}: the mutating GET (200 with the comment), wrong on purpose. */
    public Reply add(String idempotencyKey, String query) {
        return mutate("GET", ADD_PATH, idempotencyKey, () -> NewComment.fromQuery(query), 200);
    }

    /** {@code GET /comments}: {@code {"count": N, "comments": [...]}}, oldest first. */
    public Reply list() {
        List<Comment> all = comments();
        return Reply.json(200, toJson(new CommentList(all.size(), all)), false);
    }

    /** Every stored comment, oldest first. */
    public List<Comment> comments() {
        return db.read(Comment::all);
    }

    record CommentList(long count, List<Comment> comments) {}

    private Reply mutate(String method, String path, String keyField, Supplier<NewComment> parse, int status) {
        try {
            String key = keyField == null ? null : IdempotencyKeys.parse(keyField);
            if (key == null && config.requireKey()) {
                throw new Rejection(400, "Idempotency-Key is required: this server runs with --require-idempotency-key");
            }
            NewComment comment = parse.get();
            if (key == null) {
                return db.write(c -> insert(c, comment, status));
            }
            String fingerprint = IdempotencyKeys.fingerprint(method, path, comment.canonicalJson());
            long now = clock.millis();
            IdempotencyKeys.Claim claim = db.write(c ->
                    IdempotencyKeys.claim(c, key, fingerprint, owner, now, config.keyTtl().toMillis()));
            return switch (claim) {
                case IdempotencyKeys.Claim.Completed done -> done.response().replay();
                case IdempotencyKeys.Claim.InProgress busy -> Reply.error(409,
                        "a request with this Idempotency-Key is still being processed: retry after it completes");
                case IdempotencyKeys.Claim.Mismatch other -> Reply.error(422,
                        "this Idempotency-Key was first used for a different request (method, path or body): use a new key");
                case IdempotencyKeys.Claim.Acquired acquired -> process(key, comment, status);
            };
        } catch (Rejection r) {
            return Reply.error(r.status(), r.getMessage());
        } catch (StoreException e) {
            if (e.busy()) {
                return Reply.error(503, "the database stayed locked by other writers for "
                        + Database.BUSY_TIMEOUT_MS + " ms: retry later");
            }
            throw e;
        }
    }

    /** Inserts the comment and completes the key in one transaction; gives the key up if that fails. */
    private Reply process(String key, NewComment comment, int status) {
        try {
            afterClaim.run();
            return db.write(c -> {
                Reply created = insert(c, comment, status);
                IdempotencyKeys.complete(c, key, owner, created);
                return created;
            });
        } catch (RuntimeException | Error e) {
            try {
                db.write(c -> {
                    IdempotencyKeys.release(c, key, owner);
                    return null;
                });
            } catch (RuntimeException releaseFailed) {
                e.addSuppressed(releaseFailed); // the key stays in progress until this process ends or it expires
            }
            throw e;
        }
    }

    private Reply insert(Connection c, NewComment comment, int status) throws SQLException {
        return Reply.json(status, toJson(Comment.insert(c, comment, clock.millis())), true);
    }

    private static byte[] toJson(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }

    Database database() {
        return db;
    }

    void afterClaim(Runnable hook) {
        afterClaim = hook;
    }

    @Override
    public void close() {
        db.close();
    }
}
