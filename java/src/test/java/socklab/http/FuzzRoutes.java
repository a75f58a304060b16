package socklab.http;

import java.util.ArrayList;
import java.util.List;

/**
 * The routes of socklab's servers as far as the fuzzer can tell them apart, without their cost: the
 * same paths and methods as socklab.server.LabRoutes, and /work and /sleep read their parameter with
 * the same {@link HttpRequest#queryLong} (so a bad value is the same 400), but neither burns CPU nor
 * sleeps, because a mutated number can ask for a second of either. What each handled request was is
 * recorded: the response framing depends on HEAD, and the real-socket sample leaves out inputs that
 * would make a real server work or sleep for long.
 */
public final class FuzzRoutes implements Handler {
    /** The largest /work?us and /sleep?ms a real server may be sent in a sample. */
    public static final long SAMPLE_MAX_WORK_MICROS = 1000;
    public static final long SAMPLE_MAX_SLEEP_MILLIS = 5;

    private final List<Boolean> heads = new ArrayList<>();
    private long maxWork;
    private long maxSleep;
    private final Router router = new Router()
            .get("/", (request, response) -> response.text("hello\n"))
            .get("/work", (request, response) -> {
                long us = request.queryLong("us", 0);
                this.maxWork = Math.max(this.maxWork, us);
                response.text("worked " + us + " us\n");
            })
            .get("/sleep", (request, response) -> {
                long ms = request.queryLong("ms", 0);
                this.maxSleep = Math.max(this.maxSleep, ms);
                response.text("slept " + ms + " ms\n");
            })
            .get("/stats", (request, response) -> response.text("{}"));
    /** Forgets what the previous input's requests were. */
    public void reset() {
        heads.clear();
        maxWork = 0;
        maxSleep = 0;
    }

    @Override
    public void handle(HttpRequest request, HttpResponse response) {
        heads.add(request.isMethod("HEAD"));
        router.handle(request, response);
    }

    /** For each request that reached the router, in order: whether it was HEAD (its response has no body). */
    public List<Boolean> heads() {
        return List.copyOf(heads);
    }

    /** Whether a real server could be sent the same input quickly (no long /work or /sleep). */
    public boolean cheapForARealServer() {
        return maxWork <= SAMPLE_MAX_WORK_MICROS && maxSleep <= SAMPLE_MAX_SLEEP_MILLIS;
    }
}
