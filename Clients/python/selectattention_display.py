"""Jupyter display of selectattention results: an HTML table and an inline SVG figure.

The figure is the daemon's own (`runs/report` with `format: "svg"`, the figures `attn report`
writes) when the result names a stored run and its client can still ask for it; otherwise a small
figure drawn here from the result alone (a daemon run with `--no-history`, or a closed client).
Standard library only; pure functions of the result apart from that one request.
"""

import html
import math

__all__ = ["result_html", "result_text", "table_html", "table_text", "fallback_svg"]

#: The class of the figures drawn here (the daemon's have none).
DRAWN_HERE = "sa-drawn-here"
#: Rows shown in a result's HTML table; the rest are counted below it (`to_frame()` has them all).
MAX_HTML_ROWS = 60
# Viridis at 0, 1/9, …, 1 (as Sources/RunReport/ColorScale.swift): reads the same in grey.
_VIRIDIS = [(0x44, 0x01, 0x54), (0x48, 0x28, 0x78), (0x3e, 0x49, 0x89), (0x31, 0x68, 0x8e), (0x26, 0x82, 0x8e),
            (0x1f, 0x9e, 0x89), (0x35, 0xb7, 0x79), (0x6e, 0xce, 0x58), (0xb5, 0xde, 0x2b), (0xfd, 0xe7, 0x25)]
# Okabe–Ito categorical colours, as the report's series.
_SERIES = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000", "#E69F00", "#56B4E9"]


def result_html(result):
    """The HTML of a result's Jupyter display: a figure then its table."""
    figures = _daemon_figures(result)
    svg = "".join('<div class="sa-figure">%s</div>' % _inline(figure["svg"]) for figure in figures) or fallback_svg(result)
    return '<div class="selectattention">%s%s</div>' % (svg, table_html(*result.rows()))


def _daemon_figures(result):
    """The daemon's figures for this result ([{name, svg}]), asked for once (a failure leaves none)."""
    if not result.figures and result._figure_source is not None:
        source, result._figure_source = result._figure_source, None
        try:
            result.figures = list(source() or [])
        except Exception:  # no history, closed client, busy connection: draw here instead
            result.figures = []
    return result.figures


def _inline(svg):
    """A standalone SVG document without its XML declaration, for embedding in HTML."""
    if svg.startswith("<?xml"):
        svg = svg[svg.index("?>") + 2:].lstrip()
    return svg


def _cell(value):
    if isinstance(value, float):
        return "%.4g" % value if math.isfinite(value) else str(value)
    return "" if value is None else html.escape(str(value))


def table_html(columns, rows, max_rows=MAX_HTML_ROWS):
    """An HTML <table> of (columns, rows), at most `max_rows` rows, then a line counting the rest."""
    head = "".join("<th>%s</th>" % html.escape(str(column)) for column in columns)
    body = "".join("<tr>%s</tr>" % "".join('<td style="text-align:right">%s</td>' % _cell(v) for v in row)
                   for row in rows[:max_rows])
    more = "" if len(rows) <= max_rows else "<p>… %d more rows (to_frame() has them all)</p>" % (len(rows) - max_rows)
    return '<table class="sa-table"><thead><tr>%s</tr></thead><tbody>%s</tbody></table>%s' % (head, body, more)


def result_text(result, max_rows=20):
    """The plain-text display (IPython's text/plain): what the result is, its keys, its table."""
    columns, rows = result.rows()
    head = "%s of %s: %d rows; a dict with keys %s" % (type(result).__name__, result.method, len(rows),
                                                       ", ".join(sorted(result)))
    return head + "\n" + table_text(columns, rows, max_rows)


def table_text(columns, rows, max_rows=20):
    """(columns, rows) as aligned text, at most `max_rows` rows, then a line counting the rest."""
    shown = [[str(column) for column in columns]] + [[_plain(v) for v in row] for row in rows[:max_rows]]
    widths = [max(len(line[i]) for line in shown) for i in range(len(columns))]
    lines = ["  ".join(value.rjust(width) for value, width in zip(line, widths)) for line in shown]
    if len(rows) > max_rows:
        lines.append("… %d more rows (to_frame() has them all)" % (len(rows) - max_rows))
    return "\n".join(lines)


def _plain(value):
    if isinstance(value, float):
        return "%.4g" % value
    return "" if value is None else str(value)


# ---------------------------------------------------------------------------------------------
# Figures drawn here when the daemon's are not available.

def fallback_svg(result):
    """A small inline SVG for a result (empty string when there is nothing to draw)."""
    method = getattr(result, "method", None)
    if method == "pruneSweep":
        return _sweep_svg(result.records())
    if method == "profileAttention":
        grid = {}
        for record in result.records():
            grid.setdefault(record["layer"], []).append(_number(record, "entrySparsity"))
        return _heatmap_svg([grid[layer] for layer in sorted(grid)], "entry sparsity per head (rows: layers)")
    if method == "calibrate":
        grid = {}
        for head in result.get("heads", []):
            grid.setdefault(head["layer"], []).append(None if head.get("dense") else head.get("tileDensity"))
        return _heatmap_svg([grid[layer] for layer in sorted(grid)], "tile density per head (rows: layers; grey: dense)")
    if method == "perPositionKL":
        return _heatmap_svg([layer["values"] for layer in result.get("layers", [])],
                            "%s per position (rows: layers)" % result.get("metric", "value"))
    return ""


def _number(record, name):
    """A row's metric `name` as a float: for a `texts` aggregate row, its Stat's `name.mean`;
    None when absent or null."""
    value = record.get(name, record.get(name + ".mean"))
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _viridis(t):
    x = min(max(t, 0.0), 1.0) * (len(_VIRIDIS) - 1)
    i = min(int(x), len(_VIRIDIS) - 2)
    f = x - i
    return "#%02x%02x%02x" % tuple(int(round(a + (b - a) * f)) for a, b in zip(_VIRIDIS[i], _VIRIDIS[i + 1]))


def _svg(width, height, body, title):
    return ('<svg xmlns="http://www.w3.org/2000/svg" class="%s" width="%d" height="%d" viewBox="0 0 %d %d" role="img">'
            '<title>%s</title><rect width="100%%" height="100%%" fill="#ffffff"/>%s</svg>'
            % (DRAWN_HERE, width, height, width, height, html.escape(title), body))


def _heatmap_svg(matrix, title):
    """Rows of numbers as coloured cells (viridis, 0 … the largest value); None is grey."""
    if not matrix or not any(matrix):
        return ""
    values = [v for row in matrix for v in row if v is not None]
    peak = max(values) if values and max(values) > 0 else 1.0
    columns = max(len(row) for row in matrix)
    cell = max(2.0, min(24.0, 480.0 / columns))
    left, top = 30, 22
    cells = []
    for r, row in enumerate(matrix):
        cells.append('<text x="%d" y="%.1f" font-size="10" text-anchor="end">%d</text>'
                     % (left - 4, top + r * 16 + 11, r))
        for c, value in enumerate(row):
            fill = "#d9d9d9" if value is None else _viridis(value / peak)
            cells.append('<rect x="%.1f" y="%d" width="%.1f" height="16" fill="%s"><title>%s</title></rect>'
                         % (left + c * cell, top + r * 16, cell, fill, _cell(value)))
    text = '<text x="%d" y="14" font-size="11">%s (max %s)</text>' % (left, html.escape(title), _cell(peak))
    return _svg(int(left + columns * cell + 10), top + len(matrix) * 16 + 8, text + "".join(cells), title)


def _sweep_svg(records):
    """attentionKL (log axis) against prunedBlockFraction, one series per block size."""
    series = {}
    for record in records:
        x, y = _number(record, "prunedBlockFraction"), _number(record, "attentionKL")
        if x is not None and y is not None and y > 0:
            series.setdefault(record.get("blockSize"), []).append((x, y))
    if not series:
        return ""
    width, height, left, bottom, top, right = 480, 240, 56, 34, 20, 90
    ys = [math.log10(y) for points in series.values() for _, y in points]
    low, high = math.floor(min(ys)), math.ceil(max(ys))
    high = high if high > low else low + 1

    def px(x):
        return left + x * (width - left - right)

    def py(y):
        return height - bottom - (math.log10(y) - low) / (high - low) * (height - top - bottom)
    parts = ['<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#000"/>' % (left, height - bottom, width - right, height - bottom),
             '<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#000"/>' % (left, top, left, height - bottom),
             '<text x="%d" y="%d" font-size="11" text-anchor="middle">pruned block fraction</text>'
             % ((left + width - right) // 2, height - 6),
             '<text x="12" y="%d" font-size="11" transform="rotate(-90 12 %d)" text-anchor="middle">attention KL (nats)</text>'
             % ((top + height - bottom) // 2, (top + height - bottom) // 2)]
    for tick in range(low, high + 1):
        parts.append('<text x="%d" y="%.1f" font-size="9" text-anchor="end">1e%d</text>' % (left - 4, py(10.0 ** tick) + 3, tick))
    for tick in (0, 0.5, 1):
        parts.append('<text x="%.1f" y="%d" font-size="9" text-anchor="middle">%g</text>' % (px(tick), height - bottom + 12, tick))
    for index, (size, points) in enumerate(series.items()):
        colour = _SERIES[index % len(_SERIES)]
        path = " ".join("%.1f,%.1f" % (px(x), py(y)) for x, y in sorted(points))
        parts.append('<polyline points="%s" fill="none" stroke="%s" stroke-width="1.5"/>' % (path, colour))
        parts += ['<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>' % (px(x), py(y), colour) for x, y in points]
        parts.append('<text x="%d" y="%d" font-size="11" fill="%s">B = %s</text>' % (width - right + 8, top + 14 * (index + 1), colour, size))
    return _svg(width, height, "".join(parts), "sparsity against divergence")
