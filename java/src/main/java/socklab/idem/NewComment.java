package socklab.idem;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * A comment as a client sends it, validated: {@code {"author": "…", "text": "…"}} in a POST body, or
 * {@code ?author=…&text=…} on the mutating GET. Anything else is a 400 {@link Rejection} with one line
 * saying what is wrong: not JSON, not an object, a field missing, empty, not a string, too long, or
 * unknown (a typo in a field name should not silently lose the field).
 */
public record NewComment(String author, String text) {
    public static final int MAX_AUTHOR_CHARS = 100;
    public static final int MAX_TEXT_CHARS = 2000;
    /** Who wrote a comment added through GET /comments/add without an author. */
    public static final String ANONYMOUS = "anonymous";

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION) // {"text":"a","text":"b"} is ambiguous: refuse it
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    public NewComment {
        author = checked("author", author, MAX_AUTHOR_CHARS);
        text = checked("text", text, MAX_TEXT_CHARS);
    }

    /** Parses a POST body. */
    public static NewComment fromJson(byte[] body) {
        if (body.length == 0) {
            throw badRequest("the body is empty: send {\"author\": \"...\", \"text\": \"...\"}");
        }
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            throw badRequest("the body is not valid JSON: " + oneLine(e.getOriginalMessage())
                    + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
        } catch (java.io.IOException e) {
            throw badRequest("the body cannot be read as JSON: " + oneLine(e.getMessage()));
        }
        if (root == null || !root.isObject()) {
            throw badRequest("the body must be a JSON object {\"author\": \"...\", \"text\": \"...\"}, not "
                    + (root == null ? "nothing" : root.getNodeType().toString().toLowerCase()));
        }
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            String name = field.getKey();
            if (!name.equals("author") && !name.equals("text")) {
                throw badRequest("unknown field '" + oneLine(name) + "': a comment has only author and text");
            }
        }
        return new NewComment(string(root, "author"), string(root, "text"));
    }

    /** Parses the query of GET /comments/add: {@code text} (required) and {@code author} (default {@value #ANONYMOUS}). */
    public static NewComment fromQuery(String query) {
        String author = null;
        String text = null;
        for (String pair : query == null || query.isEmpty() ? new String[0] : query.split("&")) {
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            switch (name) {
                case "author" -> author = value;
                case "text" -> text = value;
                default -> throw badRequest("unknown query parameter '" + oneLine(name) + "': give text and optionally author");
            }
        }
        if (text == null) {
            throw badRequest("query parameter text is missing: GET /comments/add?text=...");
        }
        return new NewComment(author == null ? ANONYMOUS : author, text);
    }

    /** The comment as JSON with its fields in a fixed order: equal comments give equal bytes. */
    public String canonicalJson() {
        return JSON.createObjectNode().put("author", author).put("text", text).toString();
    }

    private static String string(JsonNode root, String field) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            throw badRequest("field " + field + " is missing: a comment needs author and text");
        }
        if (!node.isTextual()) {
            throw badRequest("field " + field + " must be a string, not " + node.getNodeType().toString().toLowerCase());
        }
        return node.textValue();
    }

    private static String checked(String field, String value, int maxChars) {
        if (value == null) {
            throw badRequest(field + " is missing");
        }
        if (value.isBlank()) {
            throw badRequest(field + " is empty");
        }
        int chars = value.codePointCount(0, value.length());
        if (chars > maxChars) {
            throw badRequest(field + " has " + chars + " characters; at most " + maxChars + " are accepted");
        }
        return value;
    }

    private static String decode(String value) {
        try {
            return URLDecoder.decode(value, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw badRequest("bad percent-encoding in the query: " + oneLine(e.getMessage()));
        }
    }

    /** One line, without Jackson's "[Source: REDACTED ...; " preamble to a position. */
    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("[\\r\\n]+", " ").replaceAll("\\[Source: [^;]*; ", "[").strip();
    }

    private static Rejection badRequest(String reason) {
        return new Rejection(400, reason);
    }
}
