package socklab.idem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The comments API's statuses and the idempotency-key semantics, on a real SQLite file in a temp directory. */
class CommentServiceTest {
    private static final String HELLO = "{\"author\":\"ada\",\"text\":\"hello\"}";

    @TempDir
    Path dataDir;

    private final AtomicLong now = new AtomicLong(Instant.parse("2025-01-01T00:00:00Z").toEpochMilli());
    private final InstantSource clock = () -> Instant.ofEpochMilli(now.get());
    private final List<CommentService> opened = new ArrayList<>();

    @AfterEach
    void closeAll() {
        opened.forEach(CommentService::close);
    }

    private CommentService service(CommentsConfig config, Owner owner) {
        CommentService s = new CommentService(Database.open(config.dataDir(), 4), config, clock, owner);
        opened.add(s);
        return s;
    }

    private CommentService service() {
        return service(CommentsConfig.of(dataDir), Owner.CURRENT);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void withoutKeyEveryPostInsertsEvenTheSameComment() {
        CommentService s = service();
        Reply first = s.post(null, utf8(HELLO));
        Reply second = s.post(null, utf8(HELLO));
        assertEquals(201, first.status());
        assertEquals(201, second.status());
        assertTrue(first.committed() && !first.replayed());
        assertEquals(2, s.comments().size());
        assertTrue(first.bodyText().contains("\"id\":1") && second.bodyText().contains("\"id\":2"), second.bodyText());
        assertEquals("application/json", first.contentType());
    }

    @Test
    void retryAfterCompletionReplaysTheStoredResponseAndInsertsNothing() {
        CommentService s = service();
        Reply first = s.post("k-1", utf8(HELLO));
        Reply retry = s.post("k-1", utf8(HELLO));
        assertEquals(201, first.status());
        assertFalse(first.replayed());
        assertEquals(201, retry.status());
        assertTrue(retry.replayed());
        assertFalse(retry.committed(), "a replay commits nothing, so no fault may be injected after it");
        assertArrayEquals(first.body(), retry.body());
        assertEquals(1, s.comments().size());
    }

    @Test
    void theFingerprintIsOfTheContentNotTheBytes() {
        CommentService s = service();
        assertEquals(201, s.post("k", utf8(HELLO)).status());
        Reply spaced = s.post("k", utf8("{ \"text\" : \"hello\",\n  \"author\": \"ada\" }"));
        assertTrue(spaced.replayed(), spaced.bodyText());
        assertEquals(1, s.comments().size());
    }

    @Test
    void sameKeyWithAnotherPayloadOrRouteIs422() {
        CommentService s = service();
        assertEquals(201, s.post("k", utf8(HELLO)).status());
        Reply other = s.post("k", utf8("{\"author\":\"ada\",\"text\":\"hello!\"}"));
        assertEquals(422, other.status());
        assertTrue(other.bodyText().contains("different request"), other.bodyText());
        assertEquals(422, s.add("k", "author=ada&text=hello").status(), "same payload on another route");
        assertEquals(1, s.comments().size());
    }

    @Test
    void keyIsOneTo255CharactersQuotedOrNot() {
        CommentService s = service();
        assertEquals(400, s.post("", utf8(HELLO)).status());
        assertEquals(400, s.post("\"\"", utf8(HELLO)).status());
        Reply tooLong = s.post("x".repeat(256), utf8(HELLO));
        assertEquals(400, tooLong.status());
        assertEquals("Idempotency-Key has 256 characters; at most 255 are accepted\n", tooLong.bodyText());
        assertEquals(0, s.comments().size());
        assertEquals(201, s.post("y".repeat(255), utf8(HELLO)).status());
        assertEquals(201, s.post("sf", utf8(HELLO)).status());
        assertTrue(s.post("\"sf\"", utf8(HELLO)).replayed(), "the draft's sf-string \"sf\" is the key sf");
        assertEquals(2, s.comments().size());
    }

    @Test
    void requiredKeyMissingIs400AndStoresNothing() {
        CommentService s = service(CommentsConfig.of(dataDir).withRequireKey(true), Owner.CURRENT);
        Reply missing = s.post(null, utf8(HELLO));
        assertEquals(400, missing.status());
        assertTrue(missing.bodyText().contains("--require-idempotency-key"), missing.bodyText());
        assertEquals(400, s.add(null, "text=hi").status());
        assertEquals(0, s.comments().size());
        assertEquals(201, s.post("k", utf8(HELLO)).status());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",                                            // empty body
        "{\"author\":\"ada\"",                         // not JSON
        "[1,2]",                                       // not an object
        "{\"author\":\"ada\"}",                        // text missing
        "{\"author\":\"ada\",\"text\":null}",          // text null
        "{\"author\":\"ada\",\"text\":42}",            // not a string
        "{\"author\":\"\",\"text\":\"hi\"}",           // author empty
        "{\"author\":\"ada\",\"text\":\"hi\",\"x\":1}", // unknown field
        "{\"author\":\"ada\",\"text\":\"a\",\"text\":\"b\"}", // duplicate field
        "{\"author\":\"ada\",\"text\":\"hi\"} {}",     // trailing content
    })
    void badBodiesAre400WithOneLineAndStoreNothing(String body) {
        CommentService s = service();
        for (String key : new String[] {null, "k"}) {
            Reply r = s.post(key, utf8(body));
            assertEquals(400, r.status(), body + " -> " + r.bodyText());
            assertEquals(1, r.bodyText().lines().count(), r.bodyText());
            assertFalse(r.committed());
        }
        assertEquals(0, s.comments().size());
        assertEquals(201, s.post("k", utf8(HELLO)).status(), "a rejected request does not claim its key");
    }

    @Test
    void oversizeTextIs400NamingTheLimitAndAtTheLimitIsFine() {
        CommentService s = service();
        String max = "é".repeat(NewComment.MAX_TEXT_CHARS);
        Reply over = s.post(null, utf8("{\"author\":\"ada\",\"text\":\"" + max + "x\"}"));
        assertEquals(400, over.status());
        assertEquals("text has 2001 characters; at most 2000 are accepted\n", over.bodyText());
        assertEquals(201, s.post(null, utf8("{\"author\":\"ada\",\"text\":\"" + max + "\"}")).status());
        assertEquals(1, s.comments().size());
    }

    @Test
    void mutatingGetTakesTextAndAuthorFromTheQuery() {
        CommentService s = service();
        Reply r = s.add(null, "text=caf%C3%A9+au+lait");
        assertEquals(200, r.status());
        Comment c = s.comments().getFirst();
        assertEquals("café au lait", c.text());
        assertEquals(NewComment.ANONYMOUS, c.author());
        assertEquals(400, s.add(null, null).status());
        assertEquals(400, s.add(null, "text=hi&colour=red").status());
        assertEquals(400, s.add(null, "text=%zz").status());
        assertTrue(s.add("g", "text=hi").committed());
        assertTrue(s.add("g", "text=hi").replayed());
        assertEquals(2, s.comments().size());
    }

    @Test
    void listGivesCountAndComments() {
        CommentService s = service();
        s.post(null, utf8(HELLO));
        s.add(null, "text=two");
        Reply list = s.list();
        assertEquals(200, list.status());
        assertTrue(list.bodyText().startsWith("{\"count\":2,\"comments\":[{\"id\":1,\"author\":\"ada\",\"text\":\"hello\","
                + "\"created_at\":\"2025-01-01T00:00:00Z\"}"), list.bodyText());
    }

    @Test
    void aRetryWhileTheFirstIsProcessedIs409ThenReplays() throws Exception {
        CommentService s = service();
        CountDownLatch claimed = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        s.afterClaim(() -> {
            claimed.countDown();
            await(proceed);
        });
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Reply> first = pool.submit(() -> s.post("k", utf8(HELLO)));
            assertTrue(claimed.await(10, TimeUnit.SECONDS));
            s.afterClaim(() -> {});
            Reply during = s.post("k", utf8(HELLO));
            assertEquals(409, during.status());
            assertEquals(0, s.comments().size());
            proceed.countDown();
            assertEquals(201, first.get(10, TimeUnit.SECONDS).status());
            assertTrue(s.post("k", utf8(HELLO)).replayed());
            assertEquals(1, s.comments().size());
        } finally {
            proceed.countDown();
            pool.shutdownNow();
        }
    }

    /**
     * Eight requests with one key released at once, half through a second service with its own
     * connections (as a second server process would be): exactly one inserts; each other one is
     * either told 409 or gets the replay.
     */
    @Test
    void concurrentRequestsWithOneKeyInsertExactlyOnce() throws Exception {
        CommentService a = service();
        CommentService b = service();
        int n = 8;
        CyclicBarrier start = new CyclicBarrier(n);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Reply>> replies = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                CommentService s = i % 2 == 0 ? a : b;
                replies.add(pool.submit(() -> {
                    start.await(10, TimeUnit.SECONDS);
                    return s.post("race", utf8(HELLO));
                }));
            }
            int processed = 0;
            for (Future<Reply> f : replies) {
                Reply r = f.get(30, TimeUnit.SECONDS);
                if (r.status() == 201 && !r.replayed()) {
                    processed++;
                } else {
                    assertTrue(r.status() == 409 || (r.status() == 201 && r.replayed()), r.status() + " " + r.bodyText());
                }
            }
            assertEquals(1, processed);
            assertEquals(1, a.comments().size());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void commentsAndKeysSurviveReopening() {
        CommentService first = service();
        Reply created = first.post("k", utf8(HELLO));
        first.post(null, utf8(HELLO));
        first.close();
        opened.remove(first);
        CommentService again = service();
        assertEquals(2, again.comments().size());
        Reply retry = again.post("k", utf8(HELLO));
        assertTrue(retry.replayed());
        assertArrayEquals(created.body(), retry.body());
        assertTrue(Files.isRegularFile(dataDir.resolve(Database.FILE_NAME)));
    }

    @Test
    void keysExpireAfterTheTtl() {
        CommentService s = service(CommentsConfig.of(dataDir).withKeyTtl(Duration.ofMinutes(10)), Owner.CURRENT);
        assertEquals(201, s.post("k", utf8(HELLO)).status());
        now.addAndGet(Duration.ofMinutes(10).toMillis() - 1);
        assertTrue(s.post("k", utf8(HELLO)).replayed(), "1 ms before expiry the key holds");
        now.addAndGet(1);
        Reply afterExpiry = s.post("k", utf8("{\"author\":\"ada\",\"text\":\"new\"}"));
        assertEquals(201, afterExpiry.status());
        assertFalse(afterExpiry.replayed(), "an expired key is new again, whatever the payload");
        assertEquals(2, s.comments().size());
        assertEquals(1, keyRows(s), "the expired row was replaced, not kept beside");
    }

    @Test
    void aKeyLeftInProgressByADeadProcessIsTakenOver() {
        Owner dead = new Owner(ProcessHandle.current().pid(), Owner.CURRENT.startMillis() - 1); // same pid, other start: not us
        assertFalse(dead.isAlive());
        CommentService alive = service();
        // What a kill -9 between claim and commit leaves: the key in progress, held by a process that is gone.
        String fp = IdempotencyKeys.fingerprint("POST", CommentService.POST_PATH, new NewComment("ada", "hello").canonicalJson());
        alive.database().write(c -> IdempotencyKeys.claim(c, "k", fp, dead, now.get(), 60_000));
        Reply r = alive.post("k", utf8(HELLO));
        assertEquals(201, r.status());
        assertFalse(r.replayed());
        assertEquals(1, alive.comments().size());

        alive.database().write(c -> IdempotencyKeys.claim(c, "held", fp, Owner.CURRENT, now.get(), 60_000));
        assertEquals(409, alive.post("held", utf8(HELLO)).status(), "a live owner's key stays in progress");
    }

    @Test
    void aFailureWhileProcessingReleasesTheKeyAndStoresNothing() {
        CommentService s = service();
        s.afterClaim(() -> {
            throw new IllegalStateException("disk on fire");
        });
        assertThrows(IllegalStateException.class, () -> s.post("k", utf8(HELLO)));
        assertEquals(0, s.comments().size());
        s.afterClaim(() -> {});
        Reply retry = s.post("k", utf8(HELLO));
        assertEquals(201, retry.status());
        assertFalse(retry.replayed());
    }

    @Test
    void aNewerSchemaIsRefusedAndAnUnusableDataDirIsNamed() throws Exception {
        service().close();
        try (Database db = Database.open(dataDir, 1)) {
            db.write(c -> c.createStatement().execute("PRAGMA user_version = 99"));
        }
        StoreException e = assertThrows(StoreException.class, () -> Database.open(dataDir, 1));
        assertTrue(e.getMessage().contains("schema version 99 is newer"), e.getMessage());

        Path file = Files.writeString(dataDir.resolve("plain-file"), "x");
        Exception notDir = assertThrows(RuntimeException.class, () -> Database.open(file.resolve("sub"), 1));
        assertTrue(notDir.getMessage().contains("--data-dir"), notDir.getMessage());
    }

    private static int keyRows(CommentService s) {
        return s.database().read(c -> {
            try (PreparedStatement count = c.prepareStatement("SELECT count(*) FROM idempotency_keys");
                 ResultSet r = count.executeQuery()) {
                r.next();
                return r.getInt(1);
            }
        });
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("the test never released the held request");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
