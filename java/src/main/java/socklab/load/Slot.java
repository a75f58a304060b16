package socklab.load;

/**
 * One connection of a {@link LoadLoop}, kept for the whole run: its state, its descriptor, the request
 * on it and what that request is measured from. Made up front with its parser, so that a request
 * allocates nothing; plain fields, because only the loop's own thread touches a slot.
 */
final class Slot {
    // States. BUSY states hold an outcome still to come and keep the loop running past the window.
    static final int FREE = 0;       // no descriptor; paced conn-per-request: available
    static final int BACKOFF = 1;    // no descriptor; a connect failed, retry at the deadline
    static final int CONNECTING = 2; // busy
    static final int IDLE = 3;       // connected, no request (open loop: available)
    static final int WRITING = 4;    // busy
    static final int READING = 5;    // busy
    static final int HELD = 6;       // storm: settled, kept open until the run ends

    final int index;
    final ResponseParser parser = new ResponseParser();
    int state = FREE;
    int fd = -1;
    int generation;
    long deadline;
    long connectStart;
    boolean connectMeasured;
    boolean request;
    boolean measured;
    int path;
    long latencyStart;
    long written;
    /** The connection has been counted for its worker in the warm-up / window tally. */
    boolean countedWarm;
    boolean countedWindow;

    Slot(int index) {
        this.index = index;
    }

    /** 1 for a BUSY state, else 0: what a change of state adds to the loop's count of busy slots. */
    static int isBusy(int state) {
        return state == CONNECTING || state == WRITING || state == READING ? 1 : 0;
    }
}
