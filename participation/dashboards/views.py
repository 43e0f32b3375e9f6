"""The organiser dashboard of a community: /c/<community_code>/dashboard (issue 4, point 6).

Summary cards and charts of the plan inputs: participation per building and 单元, need by category, the priority
ranking, willingness to share the cost, the field survey's findings and the works progress, and its complaints
(issue 5, point 6). Those who run the community and its owner representatives read it (the roles that read the
survey builder); other roles get 403, a community outside the user's scope 404. Every chart has its table beside
it, so the page works without JS. The ticket figures are for those who read the complaint rates (organisers and
admins); owner representatives, who read the patrol findings, see those only.
"""
from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_login import current_user

from participation import charts
from participation.complaints import charts as complaint_charts
from participation.complaints.dashboard import community_complaints
from participation.dashboards.community import community_dashboard
from participation.guards import staff_community
from participation.permissions import DECISION_READERS, TICKET_READERS, can_view_survey_results, role_required

bp = Blueprint("dashboards", __name__)


@bp.get("/c/<community_code>/dashboard")
@role_required(*DECISION_READERS)
def community(community_code: str):
    community = staff_community(community_code, visible=can_view_survey_results)
    dashboard = community_dashboard(community)
    figures = {
        "participation": (charts.participation_heatmap(dashboard["heatmap"]),
                          _("Response rate per building and unit")),
        "needs": (charts.need_by_category_chart(dashboard["needs"]), _("Need share per item, by category")),
        "priority": (charts.priority_chart(dashboard["priority"]), _("Priority ranking (Borda points)")),
        "willingness": (charts.willingness_chart(dashboard["willingness"]),
                        _("Supporters willing to share the cost")),
        "findings": (charts.findings_chart(dashboard["findings"]), _("Field survey findings")),
        "works": (charts.works_chart(dashboard["works"]), _("Works progress")),
    }
    ticket_figures = current_user.role in TICKET_READERS
    complaints = community_complaints(community, tickets=ticket_figures)
    figures["complaint_findings"] = (complaint_charts.findings_chart(complaints["findings"]), _("Patrol findings"))
    if ticket_figures:
        figures |= {
            "complaint_state": (complaint_charts.state_chart(complaints["by_state"]), _("Open tickets by state")),
            "complaint_due": (complaint_charts.due_chart(complaints["by_due"]), _("Open tickets by due time")),
            "complaint_category": (complaint_charts.category_chart(complaints["by_category"]),
                                   _("Tickets by category")),
        }
    fragments = {name: charts.chart_fragment(figure, f"chart-{name}", label=text)
                 for name, (figure, text) in figures.items()}
    return render_template("dashboards/community.html", community=community, dashboard=dashboard,
                           charts=fragments, titles={name: text for name, (_figure, text) in figures.items()},
                           work_labels=charts.WORK_LABELS, priority_top=charts.PRIORITY_TOP,
                           complaints=complaints, ticket_figures=ticket_figures,
                           due_labels=complaint_charts.DUE_LABELS,
                           has_charts=any(figure for figure, _text in figures.values()))
