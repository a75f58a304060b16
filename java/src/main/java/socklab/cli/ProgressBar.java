package socklab.cli;

import socklab.load.Progress;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress bar redrawn in place with a carriage return; cleared when the run ends so the
 * summary starts on a clean line. Only for terminals: the caller checks that stderr is one.
 */
final class ProgressBar implements Progress.Listener {
    private static final int WIDTH = 24;

    private final PrintWriter out;
    private double lastSeconds;
    private long lastResponses;
    private int lastLength;

    ProgressBar(PrintWriter out) {
        this.out = out;
    }

    @Override
    public void update(Progress p) {
        double fraction = p.plannedSeconds() > 0
                ? p.elapsedSeconds() / p.plannedSeconds()
                : (double) p.settled() / p.connections();
        double interval = p.elapsedSeconds() - lastSeconds;
        double rate = interval > 0 ? (p.responses() - lastResponses) / interval : 0;
        lastSeconds = p.elapsedSeconds();
        lastResponses = p.responses();
        String where = p.plannedSeconds() > 0
                ? String.format(Locale.ROOT, "%5.1f / %.1f s", p.elapsedSeconds(), p.plannedSeconds())
                : String.format(Locale.ROOT, "%,d / %,d settled, %.1f s", p.settled(), p.connections(), p.elapsedSeconds());
        String line = String.format(Locale.ROOT, "%s %s  %,d responses  %,.0f req/s  %,d errors",
                bar(Math.min(1, fraction)), where, p.responses(), rate, p.errors());
        out.print("\r" + line + " ".repeat(Math.max(0, lastLength - line.length())));
        out.flush();
        lastLength = line.length();
    }

    @Override
    public void finished() {
        out.print("\r" + " ".repeat(lastLength) + "\r");
        out.flush();
    }

    private static String bar(double fraction) {
        int done = (int) Math.round(fraction * WIDTH);
        return "[" + "#".repeat(done) + "-".repeat(WIDTH - done) + "]";
    }
}
