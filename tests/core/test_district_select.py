"""The one district filter (templates/macros.html district_select, on govukSelect) on every page
that filters by district: the same label, options and choice everywhere."""

from html.parser import HTMLParser

import pytest

ODD = 'Rugby & "Old" <Town>'


class SelectReader(HTMLParser):
    """The label text of ``for=district`` and the options of ``select#district``."""

    def __init__(self):
        super().__init__()
        self.label, self.options, self.classes = None, [], None
        self._in_label = self._in_select = False
        self._option = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label" and attrs.get("for") == "district":
            self._in_label, self.label = True, ""
        elif tag == "select" and attrs.get("id") == "district":
            self._in_select, self.classes = True, attrs.get("class")
            assert attrs.get("name") == "district"
        elif tag == "option" and self._in_select:
            self._option = [attrs.get("value"), "", "selected" in attrs]

    def handle_endtag(self, tag):
        if tag == "label":
            self._in_label = False
        elif tag == "select":
            self._in_select = False
        elif tag == "option" and self._option is not None:
            self.options.append(tuple(self._option))
            self._option = None

    def handle_data(self, data):
        if self._in_label:
            self.label += data
        if self._option is not None:
            self._option[1] += data


@pytest.mark.parametrize(("role", "path"), [
    ("trainer", "/sessions/"), ("trainer", "/training-clock"), ("trainer", "/training-clock/schools"),
    ("admin", "/admin/schools"), ("admin", "/admin/dsls"),
])
def test_every_district_filter_is_the_same_govuk_select(client, login_as, make_school, role, path):
    make_school(district="Warwick")
    make_school(district=ODD)
    login_as(role)
    for chosen in ("", ODD):
        response = client.get(path, query_string={"district": chosen} if chosen else None)
        assert response.status_code == 200, path
        reader = SelectReader()
        reader.feed(response.get_data(as_text=True))
        assert reader.label.strip() == "District" and reader.classes.split() == ["govuk-select"]
        assert [(value, text.strip()) for value, text, _ in reader.options] == [
            ("", "All districts"), (ODD, ODD), ("Warwick", "Warwick")]
        assert [value for value, _, selected in reader.options if selected] == ([chosen] if chosen else [])


def test_no_template_writes_a_district_select_by_hand():
    import re
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "templates"
    by_hand = [str(p.relative_to(templates)) for p in templates.rglob("*.html")
               if re.search(r"<(select|option|label)[^>]*district", p.read_text())]
    assert by_hand == []
