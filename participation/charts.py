"""Summary dicts → plotly figures → an HTML fragment that ``static/js/charts.js`` draws.

Charts never come from ``to_html``: it writes an inline script, which the CSP forbids. A fragment is an empty
``<div>`` plus the figure as JSON in a ``<script type="application/json">`` data block (not executed, so allowed);
plotly.js itself is the vendored file (``static/vendor/VERSIONS.md``), loaded only on the staff pages that chart.
Bars are horizontal so long Chinese labels stay readable on a phone, and the small template keeps the JSON small.
Suppressed cells ("<5") are drawn as empty bars labelled "<5", never as a number.
"""
import json

import plotly.graph_objects as go
from markupsafe import Markup, escape

SUPPRESSED = "<5"
ACCENT, SECOND = "#a31515", "#0b4f9c"
FONT = 'system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif'
CHART_TEMPLATE = go.layout.Template(layout={
    "font": {"family": FONT, "size": 14, "color": "#1b1b1b"},
    "colorway": [ACCENT, SECOND, "#1f6f3a", "#8a5300", "#555555"],
    "paper_bgcolor": "#ffffff", "plot_bgcolor": "#ffffff",
    "margin": {"l": 8, "r": 16, "t": 8, "b": 32},
    "xaxis": {"gridcolor": "#e4e4e4", "zeroline": False, "automargin": True},
    "yaxis": {"automargin": True, "autorange": "reversed"},   # the first answer on top, as in the table
    "hoverlabel": {"font": {"family": FONT}},
    "showlegend": False,
})
CONFIG = {"displayModeBar": False, "responsive": True, "scrollZoom": False}
BAR_HEIGHT, FRAME_HEIGHT = 34, 64


def _text(cells: list, shares: list | None) -> list[str]:
    words = []
    for index, cell in enumerate(cells):
        share = shares[index] if shares else None
        if cell == SUPPRESSED or cell is None:
            words.append(SUPPRESSED if cell == SUPPRESSED else "")
        elif share is None:
            words.append(f"{cell}")
        else:
            words.append(f"{cell} · {share * 100:.0f}%")
    return words


def bar_chart(labels: list[str], cells: list, *, shares: list | None = None, axis_title: str = "") -> go.Figure:
    """One horizontal bar per label; ``shares`` (0–1, or None) are written next to the counts."""
    values = [None if cell == SUPPRESSED else cell for cell in cells]
    figure = go.Figure(go.Bar(x=values, y=list(labels), orientation="h", text=_text(cells, shares),
                              textposition="auto", cliponaxis=False, marker={"color": ACCENT},
                              hovertemplate="%{y}: %{x}<extra></extra>"))
    figure.update_layout(template=CHART_TEMPLATE, height=FRAME_HEIGHT + BAR_HEIGHT * max(len(labels), 1),
                         xaxis={"title": {"text": axis_title}, "rangemode": "tozero"})
    return figure


def grouped_bar_chart(labels: list[str], series: list[tuple[str, list]], *, percent: bool = True) -> go.Figure:
    """Several bars per label (headcount and area rates per building …); ``series`` is [(name, values)], values
    fractions when ``percent``."""
    figure = go.Figure()
    for name, values in series:
        shown = [None if value is None or value == SUPPRESSED else value for value in values]
        text = ["" if value is None else (f"{value * 100:.0f}%" if percent else f"{value}") for value in shown]
        figure.add_trace(go.Bar(name=name, x=shown, y=list(labels), orientation="h", text=text,
                                textposition="auto", hovertemplate=f"{name} %{{y}}: %{{x}}<extra></extra>"))
    height = FRAME_HEIGHT + 40 + int(BAR_HEIGHT * max(len(labels), 1) * max(len(series), 1) / 1.5)
    figure.update_layout(template=CHART_TEMPLATE, barmode="group", height=height, showlegend=True,
                         legend={"orientation": "h", "y": -0.15 if labels else 0, "x": 0},
                         xaxis={"tickformat": ".0%" if percent else "", "range": [0, 1] if percent else None})
    return figure


def question_chart(summary: dict) -> go.Figure | None:
    """The chart of one question summary (``surveys.summaries``), or None for types shown as words only."""
    if summary["type"] in ("select_one", "select_multiple", "yes_no"):
        return bar_chart(summary["labels"], summary["absolute"], shares=summary["relative"])
    if summary["type"] == "rank":
        # Borda points; a suppressed item's points are None
        return bar_chart(summary["labels"], [SUPPRESSED if points is None else points
                                             for points in summary["points"]])
    if summary["type"] in ("integer", "decimal", "rating") and summary.get("labels"):
        return bar_chart(summary["labels"], summary["absolute"], shares=summary["relative"])
    return None


def participation_chart(stats: dict, *, headcount: str, area: str) -> go.Figure:
    """Response rate per building, by headcount and by area (vacant units out of the denominator)."""
    labels = [building["label"] for building in stats["buildings"]]
    return grouped_bar_chart(labels, [(headcount, [b["rate"] for b in stats["buildings"]]),
                                      (area, [b["area_rate"] for b in stats["buildings"]])])


def item_need_chart(rows: list[dict], *, headcount: str, area: str) -> go.Figure:
    labels = [f'{row["code"]} {row["name"]}' for row in rows]
    return grouped_bar_chart(labels, [(headcount, [row["need_share"] for row in rows]),
                                      (area, [row["need_share_area"] for row in rows])])


def figure_payload(figure: go.Figure) -> dict:
    """What charts.js hands to Plotly.newPlot: plain JSON-able data, layout and config."""
    plain = json.loads(figure.to_json())
    return {"data": plain["data"], "layout": plain["layout"], "config": CONFIG}


def _json_for_html(payload: dict) -> str:
    # Inside <script> nothing is unescaped, so "</script>" in a label must never appear literally.
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def chart_fragment(figure: go.Figure | None, chart_id: str, *, label: str = "") -> Markup:
    """The HTML for one chart: an empty box and its JSON data block. Empty without a figure."""
    if figure is None:
        return Markup("")
    chart_id = escape(chart_id)
    return Markup(
        f'<div class="chart" id="{chart_id}" data-chart="{chart_id}-data" role="img" aria-label="{escape(label)}">'
        f'</div><script type="application/json" id="{chart_id}-data" class="chart-data">'
        f"{_json_for_html(figure_payload(figure))}</script>")
