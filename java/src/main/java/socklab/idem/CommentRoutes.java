package socklab.idem;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import socklab.http.HttpRequest;
import socklab.http.HttpResponse;
import socklab.http.Router;

/**
 * The comment routes, added to a server's {@link Router}; each maps a request onto the
 * {@link CommentService} and its {@link Reply} onto the response, and injects the fault the
 * {@link FaultInjector} draws for a response that follows a commit:
 * <ul>
 * <li>{@code POST /comments} with {@code {"author": …, "text": …}}: 201 and the comment;</li>
 * <li>{@code GET /comments}: {@code {"count": N, "comments": [...]}};</li>
 * <li>{@code GET /comments/add?text=…&author=…}: inserts too. Wrong on purpose: browsers and proxies
 *     treat GET as safe and retry it (so does HEAD, which the router answers with the GET handler).</li>
 * </ul>
 * The first two and the third take an {@code Idempotency-Key}.
 */
public final class CommentRoutes {
    private CommentRoutes() {}

    public static final String KEY_FIELD = "Idempotency-Key";
    public static final String REPLAYED_FIELD = "Idempotent-Replayed";

    /** Adds the routes to {@code router}; {@code faults} decides the fate of responses after a commit. */
    public static void addTo(Router router, CommentService service, FaultInjector faults) {
        router.add("POST", CommentService.POST_PATH, (request, response) ->
                        answer(service.post(request.header(KEY_FIELD), body(request)), response, faults))
                .get(CommentService.POST_PATH, (request, response) -> answer(service.list(), response, faults))
                .get(CommentService.ADD_PATH, (request, response) ->
                        answer(service.add(request.header(KEY_FIELD), request.query()), response, faults));
    }

    private static byte[] body(HttpRequest request) {
        return request.body().toArray(ValueLayout.JAVA_BYTE);
    }

    private static void answer(Reply reply, HttpResponse response, FaultInjector faults) {
        Fault fault = reply.committed() ? faults.next() : Fault.NONE;
        switch (fault) {
            case DROP -> {
                response.dropConnection();
                return;
            }
            case DELAY -> {
                try {
                    Thread.sleep(faults.plan().delay());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt(); // the server is stopping: answer now
                }
            }
            case NONE -> { }
        }
        response.status(reply.status()).contentType(reply.contentType()).body(MemorySegment.ofArray(reply.body()));
        if (reply.replayed()) {
            response.header(REPLAYED_FIELD, "true");
        }
    }
}
