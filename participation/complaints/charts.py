"""Complaint figures (``participation.complaints.dashboard``) → plotly figures, in the style of
``participation.charts`` (its template, colours and ``chart_fragment``). Each returns None when there is nothing
to draw; the page then shows its table alone."""
import plotly.graph_objects as go
from flask_babel import gettext as _, lazy_gettext as _l

from participation.charts import (ACCENT, CHART_TEMPLATE, FRAME_HEIGHT, INSIDE_TEXT, LEGEND_ABOVE, SECOND,
                                  bar_chart, grouped_bar_chart)
from participation.labels import label

GOOD, WAIT = "#1f6f3a", "#8a5300"
DUE_LABELS = {"overdue": _l("Overdue"), "due_soon": _l("Due within 24 h"), "later": _l("Due later")}
DUE_COLOURS = {"overdue": ACCENT, "due_soon": WAIT, "later": GOOD}
RATE_NAMES = {"response_rate": _l("Timely response rate"), "resolution_rate": _l("Resolution rate"),
              "satisfaction_rate": _l("Satisfaction rate")}


def _whole_numbers(figure: go.Figure) -> go.Figure:
    """Counts on the x axis: integer ticks only (a step of one for small counts, where plotly would put ticks at
    halves and print 0, 1, 1, 2, 2)."""
    largest = sum(max((value or 0 for value in trace.x), default=0) for trace in figure.data)
    small = {"tick0": 0, "dtick": 1} if largest <= 12 else {}
    figure.update_layout(xaxis={"rangemode": "tozero", "tickformat": "d", "fixedrange": True, **small},
                         yaxis={"fixedrange": True})
    return figure


def state_chart(rows: list[dict]) -> go.Figure | None:
    """Open tickets per state, in the order of the flow."""
    if not any(row["count"] for row in rows):
        return None
    return _whole_numbers(bar_chart([label("ticket_state", row["state"]) for row in rows],
                                    [row["count"] for row in rows], axis_title=_("Open tickets")))


def due_chart(buckets: dict) -> go.Figure | None:
    """Open tickets overdue, due within 24 h and due later, coloured red, amber, green."""
    if not buckets["total"]:
        return None
    figure = bar_chart([str(DUE_LABELS[name]) for name in DUE_LABELS], [buckets[name] for name in DUE_LABELS],
                       shares=[buckets[name] / buckets["total"] for name in DUE_LABELS], axis_title=_("Open tickets"))
    figure.update_traces(marker={"color": [DUE_COLOURS[name] for name in DUE_LABELS]})
    return _whole_numbers(figure)


def flow_chart(days: list[dict]) -> go.Figure | None:
    """New and closed tickets per day: two lines over the days, the oldest on the left."""
    if not any(day["new"] or day["closed"] for day in days):
        return None
    dates = [day["day"].isoformat() for day in days]
    figure = go.Figure()
    for key, name, colour in (("new", _("New"), ACCENT), ("closed", _("Closed"), SECOND)):
        figure.add_trace(go.Scatter(x=dates, y=[day[key] for day in days], name=name, mode="lines+markers",
                                    line={"color": colour, "width": 2}, marker={"size": 6},
                                    hovertemplate=f"{name} %{{x}}: %{{y}}<extra></extra>"))
    figure.update_layout(template=CHART_TEMPLATE, height=FRAME_HEIGHT + 260, showlegend=True,
                         legend={"orientation": "h", "y": -0.2, "x": 0},
                         xaxis={"type": "category", "tickangle": -45, "nticks": 10, "fixedrange": True},
                         yaxis={"autorange": True, "rangemode": "tozero", "tickformat": "d", "fixedrange": True,
                                "title": {"text": _("Tickets")}})
    return figure


def rates_chart(rows: list[dict]) -> go.Figure | None:
    """The three rates side by side for each row (an agency, a category …); a rate without denominator is no bar,
    and rows with no rate at all draw no chart (the table beside it says why)."""
    if not any(row[key] is not None for row in rows for key in RATE_NAMES):
        return None
    return grouped_bar_chart([row["label"] for row in rows],
                             [(str(name), [row[key] for row in rows]) for key, name in RATE_NAMES.items()])


def category_chart(rows: list[dict]) -> go.Figure | None:
    """Tickets received in the period and open now, per category."""
    if not rows:
        return None
    return grouped_bar_chart([row["label"] for row in rows],
                             [(_("New in the period"), [row["received"] for row in rows]),
                              (_("Open now"), [row["open"] for row in rows])], percent=False)


def findings_chart(findings: dict) -> go.Figure | None:
    """Patrol findings still open and rectified, per category, stacked."""
    if not findings["total"]:
        return None
    rows = findings["by_category"]
    labels = [row["label"] for row in rows]
    figure = go.Figure()
    for key, name, colour in (("open", _("Not rectified"), ACCENT), ("rectified", _("Already rectified"), GOOD)):
        counts = [row[key] for row in rows]
        figure.add_trace(go.Bar(name=name, orientation="h", x=counts, y=labels, marker={"color": colour},
                                text=[count or "" for count in counts], **INSIDE_TEXT,
                                hovertemplate=f"{name} %{{y}}: %{{x}}<extra></extra>"))
    figure.update_layout(template=CHART_TEMPLATE, barmode="stack", showlegend=True, **LEGEND_ABOVE,
                         height=FRAME_HEIGHT + 60 + 44 * len(rows),
                         xaxis={"title": {"text": _("Findings")}})
    return _whole_numbers(figure)
