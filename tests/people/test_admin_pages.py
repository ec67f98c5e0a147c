"""Admins list, search, add and edit schools and DSLs; mistakes get GOV.UK error summaries."""

from sqlalchemy import select

from core.extensions import db
from people.models import Dsl, School

SCHOOL = {"urn": "125401", "name": "Abbey Fields Primary School", "pupils": "412", "fsm_percent": "11.4",
          "phase": "Primary", "district": "Warwick"}


def test_add_edit_and_search_schools(client, login_as):
    login_as("admin")
    assert client.post("/admin/schools/new", data=SCHOOL).status_code == 302
    school = db.session.scalar(select(School))
    assert (school.urn, school.fsm_percent, school.district) == (125401, 11.4, "Warwick")
    edited = dict(SCHOOL, pupils="420", district="")
    assert client.post(f"/admin/schools/{school.id}/edit", data=edited).status_code == 302
    db.session.refresh(school)
    assert (school.pupils, school.district) == (420, None)
    assert "Abbey Fields" in client.get("/admin/schools?q=abbey").get_data(as_text=True)
    assert "Abbey Fields" in client.get("/admin/schools?q=125401").get_data(as_text=True)
    assert "No schools match" in client.get("/admin/schools?q=zzz").get_data(as_text=True)


def test_school_form_errors_are_summarised_and_nothing_saved(client, login_as, make_school):
    login_as("admin")
    make_school(urn=125401)
    page = client.post("/admin/schools/new", data=dict(SCHOOL, fsm_percent="lots", pupils="-1")).get_data(as_text=True)
    assert "govuk-error-summary" in page
    assert "Enter the free school meals percentage as a number" in page and "Pupils must be 0 or more" in page
    page = client.post("/admin/schools/new", data=SCHOOL).get_data(as_text=True)
    assert "Another school already has this URN" in page
    assert db.session.scalar(select(db.func.count()).select_from(School)) == 1


def test_add_edit_and_search_dsls(client, login_as, make_school):
    login_as("admin")
    school = make_school(urn=125401, name="Abbey Fields")
    form = {"name": "Anita Patel", "email": " A.Patel@AbbeyFields.example.org", "school_urn": "125401", "role": "DSL"}
    assert client.post("/admin/dsls/new", data=form).status_code == 302
    dsl = db.session.scalar(select(Dsl))
    assert (dsl.email, dsl.school_id) == ("a.patel@abbeyfields.example.org", school.id)
    page = client.get(f"/admin/dsls/{dsl.id}/edit").get_data(as_text=True)
    assert 'value="125401"' in page
    assert client.post(f"/admin/dsls/{dsl.id}/edit", data=dict(form, role="Deputy DSL")).status_code == 302
    db.session.refresh(dsl)
    assert dsl.role == "Deputy DSL"
    for query in ("anita", "abbeyfields.example", "abbey fields"):
        assert "Anita Patel" in client.get(f"/admin/dsls?q={query}").get_data(as_text=True)
    assert "Anita Patel" in client.get(f"/admin/dsls?school={school.id}").get_data(as_text=True)


def test_dsl_with_unknown_school_or_taken_email_is_refused(client, login_as, make_dsl):
    login_as("admin")
    taken = make_dsl()
    form = {"name": "X", "email": "x@school.example.org", "school_urn": "424242", "role": "DSL"}
    assert "There is no school with this URN" in client.post("/admin/dsls/new", data=form).get_data(as_text=True)
    form = dict(form, email=taken.email.upper(), school_urn=str(taken.school.urn))
    assert "already has this email" in client.post("/admin/dsls/new", data=form).get_data(as_text=True)


def test_lists_page_through_results(client, login_as, make_school):
    login_as("admin")
    for n in range(55):
        make_school(urn=700000 + n, name=f"Paged School {n:02d}")
    first = client.get("/admin/schools?q=paged").get_data(as_text=True)
    assert "Page 1 of 2" in first and "Paged School 49" in first and "Paged School 50" not in first
    second = client.get("/admin/schools?q=paged&page=2").get_data(as_text=True)
    assert "Paged School 54" in second
    # A page number past the end, however large, shows the last page.
    beyond = client.get("/admin/schools?q=paged&page=99999999999999999999")
    assert beyond.status_code == 200 and "Paged School 54" in beyond.get_data(as_text=True)


def test_editing_a_record_that_does_not_exist_is_404(client, login_as):
    login_as("admin")
    assert client.get("/admin/schools/424242/edit").status_code == 404
    assert client.get("/admin/users/424242/edit").status_code == 404
