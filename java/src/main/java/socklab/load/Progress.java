package socklab.load;

/**
 * A snapshot of a run in progress, handed to a {@link Listener} a few times a second by the thread
 * that called {@link LoadGenerator#run}.
 *
 * @param elapsedSeconds  since the start, warm-up included
 * @param plannedSeconds  warm-up plus window; 0 for a storm, which ends when its connects settle
 * @param responses       responses so far, warm-up included
 * @param errors          failed requests so far, warm-up included
 * @param settled         storm: connects settled so far (established or failed)
 * @param connections     the configured connections (storm: M)
 */
public record Progress(double elapsedSeconds, double plannedSeconds, long responses, long errors, long settled,
                       int connections) {

    /** Receives progress snapshots; {@link #NONE} ignores them. */
    public interface Listener {
        Listener NONE = new Listener() {
            @Override
            public void update(Progress progress) {}

            @Override
            public void finished() {}
        };

        void update(Progress progress);

        /** Called once after the last update, before the result is returned. */
        void finished();
    }
}
