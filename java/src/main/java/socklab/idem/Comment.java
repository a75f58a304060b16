package socklab.idem;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A stored comment, as the API shows it (created_at in ISO-8601 UTC), and the SQL of the {@code comments} table (each method runs
 * in the caller's transaction).
 */
public record Comment(long id, String author, String text, @JsonProperty("created_at") String createdAt) {

    static Comment insert(Connection c, NewComment comment, long nowMillis) throws SQLException {
        try (PreparedStatement insert = c.prepareStatement(
                "INSERT INTO comments (author, text, created_at) VALUES (?, ?, ?) RETURNING id")) {
            insert.setString(1, comment.author());
            insert.setString(2, comment.text());
            insert.setLong(3, nowMillis);
            try (ResultSet id = insert.executeQuery()) {
                id.next();
                return new Comment(id.getLong(1), comment.author(), comment.text(), Instant.ofEpochMilli(nowMillis).toString());
            }
        }
    }

    /** Every comment, oldest first. */
    static List<Comment> all(Connection c) throws SQLException {
        List<Comment> comments = new ArrayList<>();
        try (PreparedStatement select = c.prepareStatement("SELECT id, author, text, created_at FROM comments ORDER BY id");
             ResultSet row = select.executeQuery()) {
            while (row.next()) {
                comments.add(new Comment(row.getLong(1), row.getString(2), row.getString(3), Instant.ofEpochMilli(row.getLong(4)).toString()));
            }
        }
        return comments;
    }
}
