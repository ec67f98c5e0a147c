"""Navigation by role: each feature registers its entries; the layout shows those the user may use."""

from dataclasses import dataclass

from flask import current_app, request, url_for


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    text: str
    roles: frozenset
    order: int = 50
    section: str = ""  # endpoints starting with this mark the item as the current section


def add_nav_item(app, endpoint: str, text: str, roles, order: int = 50, section: str | None = None) -> None:
    item = NavItem(endpoint, text, frozenset(roles), order, section or endpoint)
    app.extensions.setdefault("right_support_nav", []).append(item)


def navigation_for(user) -> list[dict]:
    """The service-navigation items for ``user``, the current section marked active."""
    if not getattr(user, "is_authenticated", False):
        return []
    items = sorted(current_app.extensions.get("right_support_nav", []), key=lambda item: item.order)
    current = request.endpoint or ""
    out = []
    for item in items:
        if user.role not in item.roles:
            continue
        active = current.startswith(item.section)
        out.append({"href": url_for(item.endpoint), "text": item.text, "active": active})
    return out
