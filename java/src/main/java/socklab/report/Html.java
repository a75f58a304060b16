package socklab.report;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.commonmark.Extension;
import org.commonmark.ext.gfm.tables.TablesExtension;
import org.commonmark.node.Image;
import org.commonmark.node.Node;
import org.commonmark.node.Text;
import org.commonmark.parser.Parser;
import org.commonmark.renderer.NodeRenderer;
import org.commonmark.renderer.html.HtmlNodeRendererContext;
import org.commonmark.renderer.html.HtmlRenderer;

/**
 * The report's Markdown as one self-contained HTML page (commonmark with GitHub tables): every chart
 * image whose link names a drawn chart is replaced by the chart's {@code <svg>} itself, so the page
 * needs no other file.
 */
final class Html {
    private Html() {}

    private static final List<Extension> EXTENSIONS = List.of(TablesExtension.create());

    private static final String STYLE = """
            body { font: 15px/1.5 "DejaVu Sans", system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
            h1, h2, h3 { line-height: 1.2; }
            h2 { border-bottom: 1px solid #ddd; padding-bottom: .2em; margin-top: 2em; }
            table { border-collapse: collapse; margin: 1em 0; font-size: 13px; }
            th, td { border: 1px solid #ccc; padding: .25em .6em; }
            th { background: #f4f4f4; }
            td { font-variant-numeric: tabular-nums; }
            code, pre { font-family: "DejaVu Sans Mono", monospace; font-size: 13px; }
            pre { background: #f6f6f6; padding: .8em; overflow-x: auto; }
            figure { margin: 1em 0; }
            figure svg { max-width: 100%; height: auto; border: 1px solid #eee; }
            """;

    /** {@code markdown} as an HTML page titled {@code title}; {@code svgByLink} maps a chart's Markdown link to its SVG. */
    static String page(String title, String markdown, Map<String, String> svgByLink) {
        Node document = Parser.builder().extensions(EXTENSIONS).build().parse(markdown);
        String body = HtmlRenderer.builder().extensions(EXTENSIONS)
                .nodeRendererFactory(context -> new InlineSvg(context, svgByLink)).build().render(document);
        return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + escape(title)
                + "</title>\n<style>\n" + STYLE + "</style>\n</head>\n<body>\n" + body + "</body>\n</html>\n";
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    /** Renders an image of a drawn chart as its inline SVG in a figure; any other image as a plain img tag. */
    private static final class InlineSvg implements NodeRenderer {
        private final HtmlNodeRendererContext context;
        private final Map<String, String> svgByLink;

        InlineSvg(HtmlNodeRendererContext context, Map<String, String> svgByLink) {
            this.context = context;
            this.svgByLink = svgByLink;
        }

        @Override
        public Set<Class<? extends Node>> getNodeTypes() {
            return Set.of(Image.class);
        }

        @Override
        public void render(Node node) {
            Image image = (Image) node;
            String svg = svgByLink.get(image.getDestination());
            if (svg != null) {
                context.getWriter().raw("<figure>" + svg + "</figure>");
                return;
            }
            StringBuilder alt = new StringBuilder();
            for (Node child = image.getFirstChild(); child != null; child = child.getNext()) {
                if (child instanceof Text text) {
                    alt.append(text.getLiteral());
                }
            }
            context.getWriter().tag("img", Map.of("src", context.encodeUrl(image.getDestination()), "alt", alt.toString()), true);
        }
    }
}
