package socklab.experiment;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Every logical request of a run, held against what the database has afterwards. Each request
 * carries a text of its own, so the rows with that text are the times it was stored.
 *
 * @param requests               logical requests the client made
 * @param attempts               HTTP requests the client sent for them (retries included)
 * @param acknowledged           requests whose last answer was a 2xx
 * @param storedOnce             requests stored exactly once
 * @param duplicateRows          rows beyond the first for a request: what retries added
 * @param duplicatedRequests     requests stored more than once
 * @param acknowledgedLost       acknowledged requests with no row (must be 0)
 * @param unacknowledgedStored   requests stored although the client got no 2xx (it cannot know)
 * @param unacknowledgedMissing  requests neither acknowledged nor stored (the client knows it failed)
 * @param replayed               requests whose last answer carried {@code Idempotent-Replayed: true}
 * @param endings                how requests ended: status code or {@code reset}/{@code timeout}/{@code refused}, with counts
 */
record Ledger(int requests, long attempts, int acknowledged, int storedOnce, int duplicateRows, int duplicatedRequests,
              int acknowledgedLost, int unacknowledgedStored, int unacknowledgedMissing, int replayed,
              Map<String, Integer> endings) {

    /** One logical request: its unique text and how it ended. */
    record Sent(String text, RetryingClient.Result result) {}

    /** Balances {@code sent} against {@code storedTexts}, the text of every row in the database. */
    static Ledger of(List<Sent> sent, List<String> storedTexts) {
        Map<String, Long> rows = storedTexts.stream().collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
        int acknowledged = 0;
        int storedOnce = 0;
        int duplicateRows = 0;
        int duplicatedRequests = 0;
        int acknowledgedLost = 0;
        int unacknowledgedStored = 0;
        int unacknowledgedMissing = 0;
        int replayed = 0;
        long attempts = 0;
        Map<String, Integer> endings = new TreeMap<>();
        for (Sent s : sent) {
            long n = rows.getOrDefault(s.text(), 0L);
            boolean acked = s.result().acknowledged();
            attempts += s.result().attempts();
            endings.merge(s.result().ending(), 1, Integer::sum);
            acknowledged += acked ? 1 : 0;
            replayed += s.result().replayed() ? 1 : 0;
            storedOnce += n == 1 ? 1 : 0;
            duplicateRows += (int) Math.max(0, n - 1);
            duplicatedRequests += n > 1 ? 1 : 0;
            acknowledgedLost += acked && n == 0 ? 1 : 0;
            unacknowledgedStored += !acked && n > 0 ? 1 : 0;
            unacknowledgedMissing += !acked && n == 0 ? 1 : 0;
        }
        return new Ledger(sent.size(), attempts, acknowledged, storedOnce, duplicateRows, duplicatedRequests,
                acknowledgedLost, unacknowledgedStored, unacknowledgedMissing, replayed, endings);
    }
}
