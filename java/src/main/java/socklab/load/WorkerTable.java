package socklab.load;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The {@code X-Worker} ids one event loop has seen, each with a small index that the counters use.
 * Looking up an id already seen reads the bytes where the parser found them and allocates nothing;
 * a new id is copied once. Open addressing over a power-of-two table.
 */
final class WorkerTable {
    /** Index of responses without an X-Worker header. */
    static final int NONE = 0;
    /** Index shared by every id past {@link #MAX_IDS} distinct ones. */
    static final int OTHER = 1;
    static final String NONE_NAME = "(none)";
    static final String OTHER_NAME = "(other)";
    static final int MAX_IDS = 1024;
    static final int MAX_ID_LENGTH = 64;
    private static final int SLOTS = 2 * Integer.highestOneBit(MAX_IDS * 2);

    private final byte[][] ids = new byte[MAX_IDS + 2][];
    private final int[] hashes = new int[MAX_IDS + 2];
    private final int[] slots = new int[SLOTS]; // index + 1; 0 = empty
    private int size = 2;

    /** The number of indexes in use, including {@link #NONE} and {@link #OTHER}. */
    int size() {
        return size;
    }

    /** The id with index {@code index}, as text. */
    String name(int index) {
        return switch (index) {
            case NONE -> NONE_NAME;
            case OTHER -> OTHER_NAME;
            default -> new String(ids[index], StandardCharsets.ISO_8859_1);
        };
    }

    /** The index of the id in {@code buf[from, to)}; ids longer than {@value #MAX_ID_LENGTH} bytes are cut. */
    int indexOf(byte[] buf, int from, int to) {
        to = Math.min(to, from + MAX_ID_LENGTH);
        int hash = 0x811c9dc5;
        for (int i = from; i < to; i++) {
            hash = (hash ^ buf[i]) * 0x01000193;
        }
        int mask = SLOTS - 1;
        for (int s = hash & mask; ; s = (s + 1) & mask) {
            int entry = slots[s] - 1;
            if (entry < 0) {
                return add(s, hash, buf, from, to);
            }
            if (hashes[entry] == hash && Arrays.equals(ids[entry], 0, ids[entry].length, buf, from, to)) {
                return entry;
            }
        }
    }

    private int add(int slot, int hash, byte[] buf, int from, int to) {
        if (size == ids.length) {
            return OTHER;
        }
        ids[size] = Arrays.copyOfRange(buf, from, to);
        hashes[size] = hash;
        slots[slot] = size + 1;
        return size++;
    }
}
