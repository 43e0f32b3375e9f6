"""Summary dicts → plotly figures → an HTML fragment that ``static/js/charts.js`` draws.

Charts never come from ``to_html``: it writes an inline script, which the CSP forbids. A fragment is an empty
``<div>`` plus the figure as JSON in a ``<script type="application/json">`` data block (not executed, so allowed);
plotly.js itself is the vendored file (``static/vendor/VERSIONS.md``), loaded only on the staff pages that chart.
Bars are horizontal so long Chinese labels stay readable on a phone, and the small template keeps the JSON small.
Value labels are always horizontal (``textangle=0``): beside the bar where it ends (a thin bar would otherwise turn
its "6" on its side, where it reads "9"), and centred inside the cells of stacked bars, shrunk rather than turned.
Suppressed cells ("<5") are drawn as empty bars labelled "<5", never as a number.

A page with dozens of charts (a survey's results) builds them as plain figure dicts (``bar_spec``): the same JSON
as a ``go.Figure`` gives, without plotly.py's validation, which costs ~6 ms a chart.
"""
import json

import plotly.graph_objects as go
from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup, escape

from participation.formatting import percent
from participation.labels import label

SUPPRESSED = "<5"
ACCENT, SECOND = "#a31515", "#0b4f9c"
FONT = ('system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", '
        'sans-serif')
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
TEMPLATE_JSON = CHART_TEMPLATE.to_plotly_json()
# Value labels: horizontal, beside the bar's end, never shrunk to the bar's thickness nor clipped by the axis.
OUTSIDE_TEXT = {"textposition": "outside", "textangle": 0, "constraintext": "inside", "cliponaxis": False}
# Stacked cells keep their labels inside, horizontal and centred (shrunk to fit rather than rotated).
INSIDE_TEXT = {"textposition": "inside", "textangle": 0, "insidetextanchor": "middle"}
# Room on the right of the longest bar for its label ("144 · 82%"): a share of the axis, so no label is cut off;
# a percent axis keeps its ticks at 0–100 % (no "120%" tick on a share).
TEXT_ROOM = 1.22
TEXT_MARGIN = {"r": 64}   # and room in pixels, for a phone's narrow chart where a share of the axis is too little
# A short stacked chart's legend goes above it: below, it would sit on the axis title on a phone.
LEGEND_ABOVE = {"legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
                "margin": {"t": 40, "r": 16}}
PERCENT_AXIS = {"tickformat": ".0%", "range": [0, TEXT_ROOM], "tickvals": [0, 0.2, 0.4, 0.6, 0.8, 1]}


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


def bar_spec(labels: list[str], cells: list, *, shares: list | None = None, axis_title: str = "") -> dict:
    """One horizontal bar per label as a plain figure dict (``{"data", "layout"}``); ``shares`` (0–1, or None) are
    written next to the counts."""
    values = [None if cell == SUPPRESSED else cell for cell in cells]
    trace = {"type": "bar", "x": values, "y": list(labels), "orientation": "h", "text": _text(cells, shares),
             **OUTSIDE_TEXT, "marker": {"color": ACCENT}, "hovertemplate": "%{y}: %{x}<extra></extra>"}
    axis = {"title": {"text": axis_title}, "rangemode": "tozero"}
    counted = [value for value in values if value is not None]
    if counted and all(isinstance(value, int) for value in counted) and max(counted) <= 10:
        axis["dtick"] = 1   # a few households or communities: whole numbers on the axis, never 0.5
    if counted and max(counted) > 0:
        axis["range"] = [0, max(counted) * TEXT_ROOM]
    return {"data": [trace], "layout": {"template": TEMPLATE_JSON, "xaxis": axis, "margin": TEXT_MARGIN,
                                        "height": FRAME_HEIGHT + BAR_HEIGHT * max(len(labels), 1)}}


def bar_chart(labels: list[str], cells: list, *, shares: list | None = None, axis_title: str = "") -> go.Figure:
    """``bar_spec`` as a ``go.Figure``, for the charts that restyle it (colours per bar, percent axes)."""
    figure = go.Figure(bar_spec(labels, cells, shares=shares, axis_title=axis_title))
    figure.update_layout(template=CHART_TEMPLATE)
    return figure


def grouped_bar_chart(labels: list[str], series: list[tuple[str, list]], *, percent: bool = True) -> go.Figure:
    """Several bars per label (headcount and area rates per building …); ``series`` is [(name, values)], values
    fractions when ``percent``."""
    figure = go.Figure()
    for name, values in series:
        shown = [None if value is None or value == SUPPRESSED else value for value in values]
        text = ["" if value is None else (f"{value * 100:.0f}%" if percent else f"{value}") for value in shown]
        figure.add_trace(go.Bar(name=name, x=shown, y=list(labels), orientation="h", text=text, **OUTSIDE_TEXT,
                                textfont={"size": 12}, hovertemplate=f"{name} %{{y}}: %{{x}}<extra></extra>"))
    height = FRAME_HEIGHT + 40 + int(BAR_HEIGHT * max(len(labels), 1) * max(len(series), 1) / 1.5)
    largest = max((value for _name, values in series for value in values
                   if value is not None and value != SUPPRESSED), default=0)
    figure.update_layout(template=CHART_TEMPLATE, barmode="group", height=height, showlegend=True, margin=TEXT_MARGIN,
                         legend={"orientation": "h", "y": -0.15 if labels else 0, "x": 0},
                         xaxis=PERCENT_AXIS if percent
                         else {"tickformat": "", "range": [0, largest * TEXT_ROOM] if largest else None})
    return figure


def _question_bars(summary: dict) -> tuple[list, list, list | None] | None:
    if summary["type"] in ("select_one", "select_multiple", "yes_no"):
        return summary["labels"], summary["absolute"], summary["relative"]
    if summary["type"] == "rank":
        # Borda points; a suppressed item's points are None
        return summary["labels"], [SUPPRESSED if points is None else points for points in summary["points"]], None
    if summary["type"] in ("integer", "decimal", "rating") and summary.get("labels"):
        return summary["labels"], summary["absolute"], summary["relative"]
    return None


def question_spec(summary: dict) -> dict | None:
    """The chart of one question summary (``surveys.results.summaries``) as a plain figure dict, or None for types
    shown as words only."""
    bars = _question_bars(summary)
    return None if bars is None else bar_spec(bars[0], bars[1], shares=bars[2])


def question_chart(summary: dict) -> go.Figure | None:
    """``question_spec`` as a ``go.Figure``."""
    bars = _question_bars(summary)
    return None if bars is None else bar_chart(bars[0], bars[1], shares=bars[2])


def participation_chart(stats: dict, *, headcount: str, area: str) -> go.Figure:
    """Response rate per building, by headcount and by area (vacant units out of the denominator)."""
    labels = [building["label"] for building in stats["buildings"]]
    return grouped_bar_chart(labels, [(headcount, [b["rate"] for b in stats["buildings"]]),
                                      (area, [b["area_rate"] for b in stats["buildings"]])])


def item_need_chart(rows: list[dict], *, headcount: str, area: str) -> go.Figure:
    labels = [f'{row["code"]} {row["name"]}' for row in rows]
    return grouped_bar_chart(labels, [(headcount, [row["need_share"] for row in rows]),
                                      (area, [row["need_share_area"] for row in rows])])


# --- the organiser dashboard (participation.dashboards.community.community_dashboard) ---------------------------
# The vendored bundle has bar, pie and scatter traces only, so the heat map is drawn as stacked bars of equal
# width, one per 单元, coloured by its rate: the cells stretch to the phone's width and keep their labels.
HEAT_LOW, HEAT_HIGH, HEAT_EMPTY = (253, 236, 234), (163, 21, 21), "#d9d9d9"
CATEGORY_COLOURS = {"basic": SECOND, "improvement": "#1f6f3a", "upgrade": "#8a5300"}
CONDITION_COLOURS = {"good": "#1f6f3a", "needs_repair": "#8a5300", "missing": ACCENT, "not_applicable": "#9a9a9a",
                     "not_surveyed": "#d9d9d9"}
PRIORITY_TOP = 15
WORK_COLOURS = {"not_started": "#9a9a9a", "in_progress": "#8a5300", "finished": "#1f6f3a"}
WORK_LABELS = {"not_started": _l("Not started"), "in_progress": _l("In progress"), "finished": _l("Finished")}


def heat_colour(rate: float | None) -> str:
    """The cell colour of a response rate: pale for 0, the accent red for 1, grey without a rate (all vacant)."""
    if rate is None:
        return HEAT_EMPTY
    rate = min(max(rate, 0.0), 1.0)
    red, green, blue = (round(low + (high - low) * rate) for low, high in zip(HEAT_LOW, HEAT_HIGH))
    return f"#{red:02x}{green:02x}{blue:02x}"


def participation_heatmap(buildings: list[dict]) -> go.Figure | None:
    """Buildings down, their 单元 across: each cell the unit's response rate (vacant units out of the denominator,
    counted apart in the hover)."""
    if not buildings:
        return None
    figure = go.Figure()
    width = max(len(building["units"]) for building in buildings)
    labels = [building["label"] for building in buildings]
    for position in range(width):
        cells = [building["units"][position] if position < len(building["units"]) else None
                 for building in buildings]
        hover = ["" if cell is None else _("%(unit)s: %(responded)d of %(eligible)d households answered (%(rate)s); "
                                           "%(vacant)d vacant, not counted", unit=cell["label"],
                                           responded=cell["responded"], eligible=cell["eligible"],
                                           rate=percent(cell["rate"], 0), vacant=cell["vacant"]) for cell in cells]
        figure.add_trace(go.Bar(
            x=[None if cell is None else 1 for cell in cells], y=labels, orientation="h",
            marker={"color": [heat_colour(None if cell is None else cell["rate"]) for cell in cells],
                    "line": {"color": "#ffffff", "width": 2}},
            text=["" if cell is None else f'{cell["label"]}<br>{percent(cell["rate"], 0)}' for cell in cells],
            **INSIDE_TEXT, hovertext=hover,
            hovertemplate="%{y} %{hovertext}<extra></extra>", name=str(position + 1)))
    figure.update_layout(template=CHART_TEMPLATE, barmode="stack", bargap=0.08,
                         height=FRAME_HEIGHT + 52 * len(buildings),
                         xaxis={"visible": False, "range": [0, width], "fixedrange": True},
                         yaxis={"fixedrange": True})
    return figure


def need_by_category_chart(rows: list[dict]) -> go.Figure | None:
    """Need share by headcount of each item residents were asked about, one colour per category."""
    if not rows:
        return None
    figure = go.Figure()
    for category in CATEGORY_COLOURS:
        own = [row for row in rows if row["category"] == category]
        if not own:
            continue
        name = label("category", category)
        figure.add_trace(go.Bar(
            name=name, orientation="h", x=[row["need_share"] for row in own],
            y=[f'{row["code"]} {row["name"]}' for row in own], marker={"color": CATEGORY_COLOURS[category]},
            text=[percent(row["need_share"], 0) for row in own], **OUTSIDE_TEXT,
            customdata=[[percent(row["need_share_area"], 0), row["need_count"], row["respondents"]] for row in own],
            hovertemplate="%{y}: %{text} · " + _("by area") + " %{customdata[0]} · %{customdata[1]}/%{customdata[2]}"
                          "<extra></extra>"))
    figure.update_layout(template=CHART_TEMPLATE, showlegend=True, legend={"orientation": "h", "y": -0.12, "x": 0},
                         height=FRAME_HEIGHT + 40 + BAR_HEIGHT * len(rows), margin=TEXT_MARGIN,
                         xaxis={**PERCENT_AXIS, "fixedrange": True}, yaxis={"fixedrange": True})
    return figure


def priority_chart(rows: list[dict], *, top: int = PRIORITY_TOP) -> go.Figure | None:
    """The Borda ranking, the most points on top (``rows`` come sorted): the first ``top`` items, so the chart
    stays readable on a phone (the table beside it lists them all)."""
    if not rows:
        return None
    rows = rows[:top]
    return bar_chart([f'{row["code"]} {row["name"]}' for row in rows],
                     [SUPPRESSED if row["points"] is None else row["points"] for row in rows],
                     axis_title=_("Priority points"))


def willingness_chart(rows: list[dict]) -> go.Figure | None:
    """Share of each item's supporters willing to share its cost (improvement and upgrade items)."""
    if not rows:
        return None
    figure = bar_chart([f'{row["code"]} {row["name"]}' for row in rows], [row["share_rate"] for row in rows])
    figure.update_traces(text=[f'{row["share_willing"]}/{row["need_count"]} · {percent(row["share_rate"], 0)}'
                               for row in rows], marker={"color": SECOND})
    figure.update_layout(xaxis={**PERCENT_AXIS, "title": {"text": ""}})
    return figure


def findings_chart(findings: dict) -> go.Figure | None:
    """The field survey's findings: per category, how many items it found in each condition (or has not seen)."""
    if not findings["total"]:
        return None
    categories = list(findings["by_category"])
    figure = go.Figure()
    for condition in findings["conditions"]:
        counts = [findings["by_category"][category][condition] for category in categories]
        name = _("Not surveyed yet") if condition == "not_surveyed" else label("condition", condition)
        figure.add_trace(go.Bar(name=name, orientation="h", x=counts,
                                y=[label("category", category) for category in categories],
                                marker={"color": CONDITION_COLOURS.get(condition, "#555555")},
                                text=[count or "" for count in counts], **INSIDE_TEXT,
                                hovertemplate=f"{name} %{{y}}: %{{x}}<extra></extra>"))
    figure.update_layout(template=CHART_TEMPLATE, barmode="stack", showlegend=True, **LEGEND_ABOVE,
                         height=FRAME_HEIGHT + 60 + 44 * len(categories),
                         xaxis={"title": {"text": _("Items")}, "fixedrange": True}, yaxis={"fixedrange": True})
    return figure


def works_chart(works: dict | None) -> go.Figure | None:
    """Works on the plan's items: not started / in progress / finished."""
    if not works or not works["total"]:
        return None
    statuses = list(WORK_COLOURS)
    figure = bar_chart([str(WORK_LABELS[status]) for status in statuses], [works[status] for status in statuses],
                       shares=[works[status] / works["total"] for status in statuses], axis_title=_("Items"))
    figure.update_traces(marker={"color": [WORK_COLOURS[status] for status in statuses]})
    return figure


def figure_payload(figure: go.Figure | dict) -> dict:
    """What charts.js hands to Plotly.newPlot: plain JSON-able data, layout and config (from a ``go.Figure`` or a
    plain figure dict such as ``bar_spec`` makes)."""
    plain = figure if isinstance(figure, dict) else json.loads(figure.to_json())
    return {"data": plain["data"], "layout": plain["layout"], "config": CONFIG}


def _json_for_html(payload: dict) -> str:
    # Inside <script> nothing is unescaped, so "</script>" in a label must never appear literally.
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def chart_fragment(figure: go.Figure | dict | None, chart_id: str, *, label: str = "") -> Markup:
    """The HTML for one chart: an empty box and its JSON data block. Empty without a figure."""
    if figure is None:
        return Markup("")
    chart_id = escape(chart_id)
    return Markup(
        f'<div class="chart" id="{chart_id}" data-chart="{chart_id}-data" role="img" aria-label="{escape(label)}">'
        f'</div><script type="application/json" id="{chart_id}-data" class="chart-data">'
        f"{_json_for_html(figure_payload(figure))}</script>")
