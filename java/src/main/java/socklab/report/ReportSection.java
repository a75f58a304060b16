package socklab.report;

import java.util.List;

/**
 * One experiment's part of the report.
 *
 * @param title    the heading
 * @param markdown the body: what ran, tables, chart references ({@link Charts}), how it was measured
 * @param findings what goes into the summary at the top
 */
public record ReportSection(String title, String markdown, List<Finding> findings) {
    public ReportSection {
        findings = List.copyOf(findings);
    }
}
