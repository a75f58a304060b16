package socklab.http;

/**
 * Answers one request. Runs on whichever thread the server model says handles requests (the event
 * loop itself, or a worker); it may block that thread (that is what {@code /sleep} is for). It must
 * not keep the request or response after returning: both are reused for the connection's next request.
 * Throwing {@link HttpException} answers with its status; any other exception answers 500 and closes
 * the connection.
 */
@FunctionalInterface
public interface Handler {
    void handle(HttpRequest request, HttpResponse response);
}
