"""Permission rows of the hotline desk (merged into tests/permissions/cases.CASES).

The desk (admins, organisers, hotline staff of the community) takes calls and works every ticket it sees; agencies
open the queue and the tickets that are with their organisation (the world's ticket of A is dispatched to the
agency actor's contractor; the pipeline company has none: 404). Owner representatives and grid workers 403.
An empty POST on a ticket names no action: 400, nothing changed. Showing the number is audited.
"""
from tests.permissions.cases import ADMIN, AGENCY, HOTLINE, ORGANISER, PIPELINE, Acts, Case, Redirect, roles

DESK = (ADMIN, ORGANISER, HOTLINE)
TICKET_READERS = DESK + (AGENCY,)

CASES: dict = {
    "/hotline": Case(get=roles(TICKET_READERS + (PIPELINE,))),
    # An empty call has no description: 400, no ticket.
    "/hotline/new": Case(get=roles(DESK), post=roles(DESK, 400)),
    "/hotline/tickets/<receipt>": Case(get=roles(TICKET_READERS) | {PIPELINE: 404},
                                       post=roles(TICKET_READERS, 400) | {PIPELINE: 404}),
    # Open311 reports awaiting placement (待定位): the city-wide desk only; the world holds none (404 to place).
    "/hotline/unplaced": Case(get=roles((ADMIN, HOTLINE))),
    "/hotline/unplaced/<int:report_id>": Case(post=roles((ADMIN, HOTLINE), 404), params={"report_id": "user"}),
    # issue 17: the agency's reply photos, to whoever may open the ticket; the world's ticket has none
    "/hotline/tickets/<receipt>/photos/<int:number>": Case(get=roles(TICKET_READERS, 404) | {PIPELINE: 404}),
    "/hotline/tickets/<receipt>/phone": Case(
        post=roles(DESK, Acts(Redirect("/hotline/tickets/{ticket}"), "ticket.phone_reveal"))),
}
