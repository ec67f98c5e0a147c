"""Long lists shown a page at a time: a count, then one page of rows."""

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, select

from core.extensions import db


def page_within(page: int | None, total: int, per_page: int) -> tuple[int, int]:
    """The page to show and the number of pages for ``total`` rows: a page number below 1 (or
    missing) is the first page, one past the end the last."""
    last = max(1, -(-total // per_page))
    return min(max(page or 1, 1), last), last


def paginate(statement: Select, page: int | None, per_page: int) -> Pagination:
    """One page of ``statement``'s rows, in two queries (a count, then the page).

    Any page number is accepted (see :func:`page_within`), so a link kept from before rows were
    removed, or a hand-typed number, still shows a page rather than an empty list or an error.
    """
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    page, _ = page_within(page, total, per_page)
    # The count is already known, so the pagination object is told it rather than counting again.
    found = db.paginate(statement, page=page, per_page=per_page, max_per_page=None, error_out=False, count=False)
    found.total = total
    return found
