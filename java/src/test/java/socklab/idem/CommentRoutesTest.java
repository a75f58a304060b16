package socklab.idem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import socklab.experiment.HttpCall;
import socklab.experiment.HttpCall.FailureKind;
import socklab.experiment.HttpCall.Outcome;
import socklab.server.Model;
import socklab.server.Server;
import socklab.server.ServerConfig;

/** The comment routes over real HTTP on loopback: statuses, the replay header, and both faults. */
class CommentRoutesTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @TempDir
    Path dataDir;

    private CommentService service;
    private Server server;
    private FaultInjector faults;

    private void start(FaultPlan plan) {
        service = CommentService.open(CommentsConfig.of(dataDir).withFaults(plan), 3);
        faults = new FaultInjector(plan);
        server = Server.start(ServerConfig.of(Model.DISPATCHER_WORKERS).withWorkers(2),
                router -> CommentRoutes.addTo(router, service, faults));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (service != null) {
            service.close();
        }
    }

    private Outcome post(String key, String json, Duration timeout) {
        Map<String, String> headers = key == null ? Map.of() : Map.of(CommentRoutes.KEY_FIELD, key);
        return new HttpCall("POST", "/comments", headers, json.getBytes(StandardCharsets.UTF_8)).send(server.address(), timeout);
    }

    private Outcome get(String target) {
        return new HttpCall("GET", target, Map.of(), new byte[0]).send(server.address(), TIMEOUT);
    }

    private static Outcome.Response response(Outcome o) {
        return assertInstanceOf(Outcome.Response.class, o);
    }

    @Test
    void everyStatusOverHttp() {
        start(FaultPlan.NONE);
        String hello = "{\"author\":\"ada\",\"text\":\"hello\"}";
        Outcome.Response created = response(post("k", hello, TIMEOUT));
        assertEquals(201, created.status());
        assertEquals("application/json", created.header("content-type"));
        assertNull(created.header(CommentRoutes.REPLAYED_FIELD));

        Outcome.Response replay = response(post("k", hello, TIMEOUT));
        assertEquals(201, replay.status());
        assertEquals("true", replay.header(CommentRoutes.REPLAYED_FIELD));
        assertEquals(created.bodyText(), replay.bodyText());

        assertEquals(422, response(post("k", "{\"author\":\"ada\",\"text\":\"other\"}", TIMEOUT)).status());
        assertEquals(400, response(post("", hello, TIMEOUT)).status());
        assertEquals(400, response(post("x".repeat(256), hello, TIMEOUT)).status());
        Outcome.Response bad = response(post(null, "{\"author\":\"ada\"", TIMEOUT));
        assertEquals(400, bad.status());
        assertTrue(bad.bodyText().startsWith("the body is not valid JSON: "), bad.bodyText());
        assertEquals(1, bad.bodyText().lines().count());

        assertEquals(200, response(get("/comments/add?text=via+get")).status());
        Outcome.Response list = response(get("/comments"));
        assertEquals(200, list.status());
        assertTrue(list.bodyText().startsWith("{\"count\":2,"), list.bodyText());
        assertEquals(405, response(new HttpCall("DELETE", "/comments", Map.of(), new byte[0]).send(server.address(), TIMEOUT)).status());
    }

    @Test
    void aDroppedConnectionCameAfterTheCommit() {
        start(new FaultPlan(1, 0, Duration.ZERO, 1));
        Outcome dropped = post(null, "{\"author\":\"ada\",\"text\":\"dropped\"}", TIMEOUT);
        assertEquals(FailureKind.RESET, assertInstanceOf(Outcome.Failure.class, dropped).kind(), dropped.toString());
        assertEquals(1, service.comments().size(), "the comment was stored though no response came");
        assertEquals(1, faults.drops());
        // A replay commits nothing, so it is never dropped: the keyed retry gets its answer.
        assertInstanceOf(Outcome.Failure.class, post("k", "{\"author\":\"ada\",\"text\":\"keyed\"}", TIMEOUT));
        Outcome.Response retry = response(post("k", "{\"author\":\"ada\",\"text\":\"keyed\"}", TIMEOUT));
        assertEquals("true", retry.header(CommentRoutes.REPLAYED_FIELD));
        assertEquals(2, service.comments().size());
    }

    /** The delay (1 s) is five times the client's timeout (200 ms): the margin covers a slow machine. */
    @Test
    void aDelayedResponseOutlastsTheClientsTimeout() {
        start(new FaultPlan(0, 1, Duration.ofSeconds(1), 1));
        Outcome late = post(null, "{\"author\":\"ada\",\"text\":\"late\"}", Duration.ofMillis(200));
        assertEquals(FailureKind.TIMEOUT, assertInstanceOf(Outcome.Failure.class, late).kind(), late.toString());
        assertEquals(1, service.comments().size(), "committed before the delay");
        assertEquals(1, faults.delays());
    }
}
