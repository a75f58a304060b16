package socklab.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.awt.Rectangle;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.StandardChartTheme;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.DefaultDrawingSupplier;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.LineAndShapeRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.StandardXYBarPainter;
import org.jfree.chart.renderer.xy.XYBarRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYIntervalSeries;
import org.jfree.data.xy.XYIntervalSeriesCollection;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.SVGGraphics2D;

/**
 * The report's charts: JFreeChart draws each onto JFreeSVG's Graphics2D, which writes SVG. An
 * experiment asks for a chart and gets back the Markdown that shows it ({@code ![title](charts/ID.svg)});
 * the builder writes the files and inlines each SVG in the HTML.
 *
 * <p>Three kinds serve every experiment: grouped bars (shares, rates), lines over x (a time series,
 * a histogram's outline), and lines over categories (latency percentiles), on a linear or log axis.
 */
public final class Charts {
    public static final int WIDTH = 760;
    public static final int HEIGHT = 400;
    private static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9-]*");

    /** A drawn chart: {@code id} names its file, {@code svg} is the {@code <svg>} element. */
    public record Chart(String id, String title, String svg) {}

    /** Tableau's ten colours: distinct on screen and in print (JFreeChart's default has a pale yellow). */
    private static final Paint[] PALETTE = {new Color(0x4e79a7), new Color(0xf28e2b), new Color(0xe15759), new Color(0x76b7b2),
            new Color(0x59a14f), new Color(0xedc948), new Color(0xb07aa1), new Color(0xff9da7), new Color(0x9c755f), new Color(0xbab0ac)};

    static {
        System.setProperty("java.awt.headless", "true"); // no display: AWT only measures fonts here
        StandardChartTheme theme = (StandardChartTheme) StandardChartTheme.createJFreeTheme();
        theme.setPlotBackgroundPaint(Color.WHITE);
        theme.setDomainGridlinePaint(new Color(0xdddddd));
        theme.setRangeGridlinePaint(new Color(0xdddddd));
        theme.setBarPainter(new StandardBarPainter());
        theme.setXYBarPainter(new StandardXYBarPainter());
        theme.setShadowVisible(false);
        theme.setExtraLargeFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        theme.setDrawingSupplier(new DefaultDrawingSupplier(PALETTE, DefaultDrawingSupplier.DEFAULT_FILL_PAINT_SEQUENCE,
                DefaultDrawingSupplier.DEFAULT_OUTLINE_PAINT_SEQUENCE, DefaultDrawingSupplier.DEFAULT_STROKE_SEQUENCE,
                DefaultDrawingSupplier.DEFAULT_OUTLINE_STROKE_SEQUENCE, DefaultDrawingSupplier.DEFAULT_SHAPE_SEQUENCE));
        ChartFactory.setChartTheme(theme);
    }

    private final List<Chart> charts = new ArrayList<>();
    private final String linkPrefix;

    /** Charts whose Markdown links point at {@code linkPrefix/ID.svg}, relative to the Markdown file. */
    public Charts(String linkPrefix) {
        this.linkPrefix = linkPrefix;
    }

    public List<Chart> all() {
        return List.copyOf(charts);
    }

    /**
     * Grouped bars: one group per category (outer map order), one bar per series within it.
     *
     * @param data category to (series to value)
     */
    public String bars(String id, String title, String categoryAxis, String valueAxis, Map<String, Map<String, Double>> data) {
        DefaultCategoryDataset dataset = new DefaultCategoryDataset();
        data.forEach((category, bySeries) -> bySeries.forEach((series, value) -> dataset.addValue(value, series, category)));
        JFreeChart chart = ChartFactory.createBarChart(title, categoryAxis, valueAxis, dataset, PlotOrientation.VERTICAL,
                true, false, false);
        CategoryPlot plot = chart.getCategoryPlot();
        ((BarRenderer) plot.getRenderer()).setItemMargin(0.05);
        if (data.size() > 4) {
            plot.getDomainAxis().setCategoryLabelPositions(CategoryLabelPositions.UP_45); // long variant names side by side
        }
        return add(id, title, chart);
    }

    /**
     * Lines over a numeric x: one line per series (outer map order), points as (x, y) pairs.
     *
     * @param steps draw each series as a step function (a sampled level, as a queue depth), not a slope
     */
    public String lines(String id, String title, String xAxis, String yAxis, Map<String, List<double[]>> series, boolean steps) {
        XYSeriesCollection dataset = new XYSeriesCollection();
        series.forEach((name, points) -> {
            XYSeries s = new XYSeries(name, false, true);
            points.forEach(p -> s.add(p[0], p[1]));
            dataset.addSeries(s);
        });
        JFreeChart chart = steps
                ? ChartFactory.createXYStepChart(title, xAxis, yAxis, dataset, PlotOrientation.VERTICAL, true, false, false)
                : ChartFactory.createXYLineChart(title, xAxis, yAxis, dataset, PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        if (!steps) {
            ((XYLineAndShapeRenderer) plot.getRenderer()).setDefaultShapesVisible(true);
        }
        plot.setDomainAxis(new NumberAxis(xAxis));
        return add(id, title, chart);
    }

    /** A histogram: one bar per bin, each {@code {from, to, count}}. */
    public String histogram(String id, String title, String xAxis, String yAxis, List<double[]> bins) {
        XYIntervalSeries s = new XYIntervalSeries(yAxis);
        for (double[] b : bins) {
            s.add((b[0] + b[1]) / 2, b[0], b[1], b[2], b[2], b[2]);
        }
        XYIntervalSeriesCollection dataset = new XYIntervalSeriesCollection();
        dataset.addSeries(s);
        JFreeChart chart = ChartFactory.createXYBarChart(title, xAxis, false, yAxis, dataset, PlotOrientation.VERTICAL,
                false, false, false);
        ((XYBarRenderer) chart.getXYPlot().getRenderer()).setDrawBarOutline(true);
        return add(id, title, chart);
    }

    /**
     * Lines over categories (percentiles p50 … max), one line per series, optionally on a log axis.
     *
     * @param data series to (category to value)
     */
    public String categoryLines(String id, String title, String categoryAxis, String valueAxis,
                                Map<String, Map<String, Double>> data, boolean logScale) {
        DefaultCategoryDataset dataset = new DefaultCategoryDataset();
        data.forEach((series, byCategory) -> byCategory.forEach((category, value) -> dataset.addValue(value, series, category)));
        JFreeChart chart = ChartFactory.createLineChart(title, categoryAxis, valueAxis, dataset, PlotOrientation.VERTICAL,
                true, false, false);
        CategoryPlot plot = chart.getCategoryPlot();
        LineAndShapeRenderer renderer = (LineAndShapeRenderer) plot.getRenderer();
        renderer.setDefaultShapesVisible(true);
        renderer.setDefaultStroke(new BasicStroke(1.5f));
        if (logScale) {
            LogAxis axis = new LogAxis(valueAxis);
            axis.setSmallestValue(1e-3);
            axis.setAutoTickUnitSelection(false);
            axis.setTickUnit(new NumberTickUnit(1.0)); // one tick per power of ten (the unit is in exponents)
            axis.setNumberFormatOverride(new DecimalFormat("0.###", DecimalFormatSymbols.getInstance(Locale.ROOT)));
            plot.setRangeAxis(axis);
        }
        return add(id, title, chart);
    }

    private String add(String id, String title, JFreeChart chart) {
        if (!ID.matcher(id).matches() || charts.stream().anyMatch(c -> c.id().equals(id))) {
            throw new IllegalArgumentException("chart id '" + id + "' must be new, lower case letters, digits and dashes");
        }
        chart.setBackgroundPaint(Color.WHITE);
        SVGGraphics2D g = new SVGGraphics2D(WIDTH, HEIGHT);
        g.setDefsKeyPrefix(id + "-"); // the HTML inlines every chart: clip-path ids must not collide
        chart.draw(g, new Rectangle(0, 0, WIDTH, HEIGHT));
        charts.add(new Chart(id, title, g.getSVGElement()));
        return "![" + title + "](" + link(id) + ")\n\n";
    }

    /** Where the Markdown finds chart {@code id}. */
    public String link(String id) {
        return linkPrefix + "/" + id + ".svg";
    }
}
