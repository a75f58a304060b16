package socklab.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * Routes a request by exact path and method to its {@link Handler}: 404 for an unknown path, 405 with
 * {@code Allow} for a known path and another method. HEAD is answered by the GET handler, and the
 * connection drops the body. Matching compares bytes in place (no String per request); routes are few,
 * so a linear scan is the fast way.
 *
 * <p>Routes are added while the server is assembled, before it starts; a later feature adds its own
 * routes (say {@code POST /comments}) with {@link #add} and leaves the connection code alone.
 */
public final class Router implements Handler {
    private record Route(String method, String path, byte[] pathBytes, Handler handler) {}

    private final List<Route> routes = new ArrayList<>();
    private Route[] table = new Route[0];

    /** Adds {@code method path -> handler}; a second handler for the same method and path is refused. */
    public Router add(String method, String path, Handler handler) {
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("a route's path starts with '/': " + path);
        }
        for (Route r : routes) {
            if (r.method.equals(method) && r.path.equals(path)) {
                throw new IllegalArgumentException("route " + method + " " + path + " is already taken");
            }
        }
        routes.add(new Route(method, path, path.getBytes(StandardCharsets.US_ASCII), handler));
        table = routes.toArray(Route[]::new);
        return this;
    }

    public Router get(String path, Handler handler) {
        return add("GET", path, handler);
    }

    @Override
    public void handle(HttpRequest request, HttpResponse response) {
        Route[] t = table;
        boolean pathKnown = false;
        for (Route r : t) {
            if (request.pathEquals(r.pathBytes)) {
                pathKnown = true;
                if (request.isMethod(r.method) || (r.method.equals("GET") && request.isMethod("HEAD"))) {
                    r.handler.handle(request, response);
                    return;
                }
            }
        }
        if (!pathKnown) {
            response.error(HttpStatus.NOT_FOUND, "no route for " + request.path());
            return;
        }
        StringJoiner allow = new StringJoiner(", ");
        for (Route r : t) {
            if (request.pathEquals(r.pathBytes)) {
                allow.add(r.method);
                if (r.method.equals("GET")) {
                    allow.add("HEAD");
                }
            }
        }
        response.error(HttpStatus.METHOD_NOT_ALLOWED, request.method() + " is not allowed on " + request.path())
                .header("Allow", allow.toString());
    }
}
