"""Long lists read one page at a time (the roster, the staff accounts, the communities): the page number taken from
a query argument, and the page itself — its rows read with LIMIT/OFFSET, how many match, how many there are in all,
and the positions shown ("共 292 户，显示 1–50")."""
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Select, func, select

from participation.extensions import db

PAGE_SIZE = 50


def page_number(value) -> int:
    """A page number from a query argument: anything that is not a whole number ≥ 1 is page 1 (too large a page is
    clamped to the last one by ``read_page``, which knows how many there are)."""
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit()):
        return 1
    return max(1, min(int(text[:12]), 10 ** 9))


def count(query: Select) -> int:
    """How many rows ``query`` yields (its order dropped)."""
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


@dataclass(frozen=True)
class ListPage:
    rows: list = field(default_factory=list)
    page: int = 1
    pages: int = 1
    total: int = 0        # rows matching the search and filters
    everyone: int = 0     # rows the user sees, whatever the search
    first: int = 0        # 1-based positions of the first and last row shown (0 when none)
    last: int = 0


def read_page(read: Callable[[int, int], list], *, total: int, everyone: int, page: int,
              per_page: int = PAGE_SIZE) -> ListPage:
    """Page ``page`` (a page past the end is the last one) of ``total`` matching rows; ``read(offset, limit)``
    reads that page's rows in the database."""
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    offset = (page - 1) * per_page
    rows = read(offset, per_page)
    return ListPage(rows=rows, page=page, pages=pages, total=total, everyone=everyone,
                    first=offset + 1 if rows else 0, last=offset + len(rows))
