package socklab.experiment;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Stopping the child processes an experiment starts (nginx, a server JVM) without leaving one behind. */
final class Processes {
    private Processes() {}

    /** SIGTERM, then SIGKILL if {@code process} has not exited within {@code grace}; waits for it either way. */
    static void stop(Process process, Duration grace) {
        process.destroy();
        try {
            if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
