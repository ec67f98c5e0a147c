"""Long lists shown a page at a time: a count, then one page of rows."""

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, select

from core.extensions import db


def paginate(statement: Select, page: int | None, per_page: int) -> Pagination:
    """One page of ``statement``'s rows, in two queries (a count, then the page).

    Any page number is accepted: one below 1 (or missing) gives the first page and one past the
    end gives the last, so a link kept from before rows were removed, or a hand-typed number,
    still shows a page rather than an empty list or an error.
    """
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    last = max(1, -(-total // per_page))
    page = min(max(page or 1, 1), last)
    # The count is already known, so the pagination object is told it rather than counting again.
    found = db.paginate(statement, page=page, per_page=per_page, max_per_page=None, error_out=False, count=False)
    found.total = total
    return found
