package socklab.load;

import java.util.List;

/**
 * One path of the request mix and its weight: with {@code 99:/work?us=10} and {@code 1:/work?us=1000}
 * every hundredth request is the heavy one, spread evenly (smooth weighted round robin), not at random.
 */
public record RequestPath(String path, int weight) {
    static final int MAX_WEIGHT = 1000;
    /** Bound on the sum of the weights: the interleaving is a precomputed table of that length. */
    static final int MAX_TOTAL_WEIGHT = 10_000;

    public RequestPath {
        if (path == null || !path.startsWith("/") || path.chars().anyMatch(ch -> ch <= 0x20 || ch >= 0x7f)) {
            throw new IllegalArgumentException("--path '" + path + "' must start with / and be printable ASCII without spaces (percent-encode the rest)");
        }
        if (weight < 1 || weight > MAX_WEIGHT) {
            throw new IllegalArgumentException("--path weight must be 1-" + MAX_WEIGHT + ", got " + weight + " for " + path);
        }
    }

    /** Parses {@code /path} (weight 1) or {@code WEIGHT:/path}. */
    public static RequestPath parse(String text) {
        int slash = text.indexOf('/');
        if (slash <= 0) {
            return new RequestPath(text, 1);
        }
        String prefix = text.substring(0, slash);
        if (!prefix.matches("[0-9]{1,9}:")) {
            throw new IllegalArgumentException("--path '" + text + "' must be /path or WEIGHT:/path, e.g. 99:/work?us=10");
        }
        return new RequestPath(text.substring(slash), Integer.parseInt(prefix.substring(0, prefix.length() - 1)));
    }

    /** Rejects a mix whose interleaving table would be too long. */
    static void checkMix(List<RequestPath> mix) {
        int total = mix.stream().mapToInt(RequestPath::weight).sum();
        if (total > MAX_TOTAL_WEIGHT) {
            throw new IllegalArgumentException("--path weights add up to " + total + ", more than " + MAX_TOTAL_WEIGHT + ": use smaller weights in the same ratio");
        }
    }

    /**
     * The order in which the paths of {@code mix} are sent, one cycle long (the sum of the weights):
     * nginx's smooth weighted round robin, so that a path of weight w appears every total/w requests.
     */
    static int[] interleave(List<RequestPath> mix) {
        int total = mix.stream().mapToInt(RequestPath::weight).sum();
        int[] order = new int[total];
        int[] current = new int[mix.size()];
        for (int k = 0; k < total; k++) {
            int best = 0;
            for (int i = 0; i < mix.size(); i++) {
                current[i] += mix.get(i).weight();
                if (current[i] > current[best]) {
                    best = i;
                }
            }
            current[best] -= total;
            order[k] = best;
        }
        return order;
    }

    /** The request bytes: a GET with the Host header, and {@code Connection: close} when asked. */
    byte[] request(String hostHeader, boolean close) {
        String text = "GET " + path + " HTTP/1.1\r\nHost: " + hostHeader + "\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n";
        return text.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }
}
