/// Assembles the self-contained report page: inline CSS, inline SVG, no scripts, no
/// network references. The markup is well-formed XML (every element closed, only the five
/// XML entities), so it also opens as XHTML.
enum HTMLDocument {
    static let stylesheet = """
    body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; color: #1a1a1a; background: #ffffff; margin: 0; }
    main { max-width: 1120px; margin: 0 auto; padding: 24px 28px 48px; }
    h1 { font-size: 1.6em; margin: 0 0 4px; }
    h2 { font-size: 1.25em; margin: 36px 0 8px; border-bottom: 1px solid #cccccc; padding-bottom: 4px; }
    h3 { font-size: 1.05em; margin: 24px 0 6px; }
    h4 { font-size: 0.95em; margin: 16px 0 4px; }
    p.lede, p.note { color: #444444; }
    p.note { font-style: italic; }
    code { font-family: "DejaVu Sans Mono", Menlo, monospace; font-size: 0.92em; }
    table { border-collapse: collapse; font-size: 0.86em; margin: 6px 0 12px; }
    th, td { border: 1px solid #d0d0d0; padding: 3px 8px; text-align: left; vertical-align: top; }
    thead th { background: #f0f0f0; }
    tbody th { background: #f7f7f7; font-weight: normal; white-space: nowrap; }
    table.params td { font-family: "DejaVu Sans Mono", Menlo, monospace; word-break: break-all; }
    table.numbers td { font-variant-numeric: tabular-nums; text-align: right; }
    figure { margin: 16px 0 24px; }
    figure .figure-body svg { width: 100%; height: auto; display: block; }
    div.table-scroll { overflow-x: auto; max-width: 100%; }
    table.numbers th { word-break: normal; hyphens: manual; }
    figcaption { font-size: 0.88em; color: #333333; max-width: 60em; margin-top: 6px; line-height: 1.4; }
    details summary { cursor: pointer; font-size: 0.9em; color: #333333; }
    @media print { section.run, figure { break-inside: avoid-page; } main { max-width: none; } }
    """

    /// - Parameter tiles: the recall-against-computedFraction figure of the tile runs, if any.
    static func render(title: String, runs: [RunFigures], overview: Figure?, tiles: Figure? = nil) -> String {
        var figureNumber = 0
        func figureHTML(_ figure: Figure) -> String {
            figureNumber += 1
            // As wide as the text column, but a small drawing is enlarged at most 1.75 times.
            let widest = NumberFormat.coordinate(figure.canvas.width * 1.75)
            return "<figure id=\"figure-\(figureNumber)\" class=\"figure\" data-name=\"\(XMLText.escape(figure.name))\">"
                + "<div class=\"figure-body\" style=\"max-width: \(widest)px\">" + figure.svg(standalone: false) + "</div>"
                + "<figcaption><strong>Figure \(figureNumber). \(XMLText.escape(figure.title)).</strong> \(XMLText.escape(figure.caption))</figcaption></figure>"
        }

        var html = ["<!DOCTYPE html>", "<html lang=\"en\">", "<head>", "<meta charset=\"utf-8\"/>",
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>",
                    "<title>\(XMLText.escape(title))</title>", "<style>\n\(stylesheet)\n</style>", "</head>", "<body>", "<main>"]
        html.append("<h1>\(XMLText.escape(title))</h1>")
        html.append("<p class=\"lede\">\(runs.count) run\(runs.count == 1 ? "" : "s") from the SelectAttention run history. "
                    + "Figures are inline SVG; the page needs no network and runs no scripts.</p>")

        html.append("<section id=\"runs\"><h2>Runs</h2>")
        html.append(HTMLTables.table(["id", "method", "status", "model", "date (UTC)", "runtime"], runs.map { r in
            [r.run.id, r.run.method, r.run.status ?? "–", r.run.model.map { String($0.prefix(12)) } ?? "–",
             r.run.createdAtMs.map { NumberFormat.isoDate(ms: $0) } ?? "–", r.run.durationMs.map { NumberFormat.duration(ms: $0) } ?? "–"]
        }, cssClass: "runs"))
        html.append("</section>")

        if let overview {
            html.append("<section id=\"sweeps\"><h2>Sparsity against divergence</h2>\(figureHTML(overview))</section>")
        }
        if let tiles {
            html.append("<section id=\"tiles\"><h2>Recall against computed fraction</h2>\(figureHTML(tiles))</section>")
        }
        for r in runs {
            html.append("<section class=\"run\" id=\"run-\(XMLText.escape(r.run.id))\">")
            html.append("<h2>Run <code>\(XMLText.escape(r.run.id))</code> · \(XMLText.escape(r.run.method))</h2>")
            html.append("<h3>Run details</h3>" + HTMLTables.runFacts(r.run))
            if let note = r.note { html.append("<p class=\"note\">\(XMLText.escape(note))</p>") }
            for figure in r.figures { html.append(figureHTML(figure)) }
            if !r.tablesHTML.isEmpty { html.append(r.tablesHTML) }
            html.append("</section>")
        }
        html += ["</main>", "</body>", "</html>", ""]
        return html.joined(separator: "\n")
    }
}
