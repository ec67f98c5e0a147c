"""Linkage that stays true: records relinked when the register changes (imports and the admin's
edits), stale links counted and warned about, aliases from the linkage page (audited), and the
linkage page's filters."""

from datetime import datetime

import pytest
from sqlalchemy import func, select, text, update

from cohorts import services
from cohorts.models import DslAlias, EarlyHelpConsultation, MashRecord
from core.extensions import db
from core.models import AuditEvent, ImportBatch
from people.models import Dsl
from tests.support import StatementCounter


def _links(model=MashRecord, key=None):
    key = key or (MashRecord.contact_id if model is MashRecord else EarlyHelpConsultation.consultation_id)
    return dict(db.session.execute(select(key, model.dsl_id)).all())


def _dsl(email):
    return db.session.scalar(select(Dsl).where(Dsl.email == email))


def _import(runner, kind, path):
    result = runner.invoke(args=["import", kind, str(path)])
    assert result.exit_code == 0, result.output
    return result


def _contacts(tmp_path, *rows, name="c.csv"):
    """A contacts file; each row ``(contact_id, referrer_email)`` or with a source as a third item."""
    lines = ["contact_id,received_at,source,method,classification,referrer_email"]
    for row in rows:
        contact_id, email, source = (*row, "School")[:3]
        lines.append(f"{contact_id},2020-10-01,{source},Telephone,contact,{email}")
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


# -- relinking when the register changes --------------------------------------------------------


def test_a_register_imported_after_the_records_links_them(runner, formats):
    for kind in ("contacts", "early-help"):
        _import(runner, kind, formats / f"{kind}.csv")
    assert set(_links().values()) == {None}
    for kind in ("schools", "dsls"):
        _import(runner, kind, formats / f"{kind}.csv")
    assert _links() == {"MASH-204417": _dsl("e.kowalska@riverside.example.org").id,
                        "MASH-204418": _dsl("r.khan@millbrook.example.org").id, "MASH-204419": None}
    assert _links(EarlyHelpConsultation) == {"EH-7301": _dsl("c.baird@hollybank.example.org").id, "EH-7302": None}
    assert services.stale_links() == {"mash_records": 0, "early_help": 0}


def test_the_admin_changing_a_dsl_email_unlinks_the_old_and_links_the_new(client, login_as, runner, tmp_path, make_dsl):
    dsl = make_dsl(email="old@school.example.org")
    _import(runner, "contacts", _contacts(tmp_path, ("A", "old@school.example.org"), ("B", "new@school.example.org")))
    assert _links() == {"A": dsl.id, "B": None}
    login_as("admin")
    response = client.post(f"/admin/dsls/{dsl.id}/edit", data={
        "name": dsl.name, "email": "New@School.example.org ", "school_urn": str(dsl.school.urn), "role": "DSL"})
    assert response.status_code == 302
    assert _links() == {"A": None, "B": dsl.id}
    assert services.stale_links() == {"mash_records": 0, "early_help": 0}


def test_a_dsl_added_on_the_admin_page_links_records_already_imported(client, login_as, runner, tmp_path, make_school):
    school = make_school()
    _import(runner, "contacts", _contacts(tmp_path, ("A", "walk.in@school.example.org")))
    login_as("admin")
    response = client.post("/admin/dsls/new", data={"name": "Walk In", "email": "walk.in@school.example.org",
                                                     "school_urn": str(school.urn), "role": "DSL"})
    assert response.status_code == 302
    assert _links() == {"A": _dsl("walk.in@school.example.org").id}


def test_a_refused_edit_relinks_nothing(client, login_as, runner, tmp_path, make_dsl):
    dsl, other = make_dsl(email="mine@school.example.org"), make_dsl(email="taken@school.example.org")
    _import(runner, "contacts", _contacts(tmp_path, ("A", "mine@school.example.org")))
    login_as("admin")
    response = client.post(f"/admin/dsls/{dsl.id}/edit", data={
        "name": dsl.name, "email": other.email, "school_urn": str(dsl.school.urn), "role": "DSL"})
    assert response.status_code == 200 and "already has this email" in response.get_data(as_text=True)
    assert _links() == {"A": dsl.id}


def test_a_large_register_import_relinks_in_one_update_per_table(runner, tmp_path, make_school):
    school = make_school()
    people = 300
    _import(runner, "contacts", _contacts(tmp_path, *[(f"C{i}", f"person{i}@school.example.org") for i in range(people)]))
    consultations = tmp_path / "eh.csv"
    consultations.write_text("consultation_id,date,referrer_email\n"
                             + "".join(f"E{i},2020-10-01,person{i}@school.example.org\n" for i in range(people)))
    _import(runner, "early-help", consultations)
    register = tmp_path / "dsls.csv"
    register.write_text("email,name,school_urn\n"
                        + "".join(f"person{i}@school.example.org,Person {i},{school.urn}\n" for i in range(people)))
    with StatementCounter(db.engine) as seen:
        _import(runner, "dsls", register)
    updates = [sql for sql, _ in seen.statements if sql.lstrip().upper().startswith("UPDATE")]
    assert len([sql for sql in updates if "mash_records" in sql]) == 1
    assert len([sql for sql in updates if "early_help_consultations" in sql]) == 1
    ids = dict(db.session.execute(select(Dsl.email, Dsl.id)).all())
    assert _links() == {f"C{i}": ids[f"person{i}@school.example.org"] for i in range(people)}
    assert set(_links(EarlyHelpConsultation).values()) == {ids[f"person{i}@school.example.org"] for i in range(people)}


# -- stale links --------------------------------------------------------------------------------


@pytest.fixture
def stale(runner, tmp_path, make_dsl):
    """Three records linked to DSLs, then the register changed behind the service's back (as a
    database edit or an older release would): one record's DSL has a new email."""
    first, second = make_dsl(email="one@school.example.org"), make_dsl(email="two@school.example.org")
    _import(runner, "contacts", _contacts(tmp_path, ("A", first.email), ("B", first.email), ("C", second.email),
                                          ("D", "nobody@school.example.org", "Police")))
    db.session.execute(update(Dsl).where(Dsl.id == first.id).values(email="one.new@school.example.org"))
    db.session.commit()
    return first, second


def test_stale_links_are_counted_in_one_query_per_table(stale):
    with StatementCounter(db.engine) as seen:
        assert services.stale_links() == {"mash_records": 2, "early_help": 0}
    assert len([sql for sql, _ in seen.statements if sql.lstrip().upper().startswith("SELECT")]) == 2
    assert services.stale_links(services.LinkageFilter(source="Police")) == {"mash_records": 0, "early_help": None}


def test_the_linkage_page_warns_and_relink_now_puts_it_right(client, login_as, stale):
    login_as("evaluator")
    page = client.get("/cohorts/linkage").get_data(as_text=True)
    assert "2 MASH records and 0 Early Help consultations link to a different DSL" in page
    assert "Relink now" in page
    response = client.post("/cohorts/linkage/relink?source=School", data={})
    assert response.status_code == 302 and response.headers["Location"].endswith("/cohorts/linkage?source=School")
    assert services.stale_links() == {"mash_records": 0, "early_help": 0}
    assert _links() == {"A": None, "B": None, "C": stale[1].id, "D": None}
    page = client.get("/cohorts/linkage").get_data(as_text=True)
    assert "link to a different DSL" not in page and "Relink now" not in page


def test_the_outcome_report_warns_of_stale_links_in_its_window(client, login_as, stale, runner, make_dsl,
                                                               make_session):
    from courses.models import Attendance

    trained = make_dsl()  # a cohort needs someone in its treatment group
    db.session.add(Attendance(session_id=make_session("refresher", first_day=datetime(2020, 9, 10).date()).id,
                              dsl_id=trained.id, status="attended"))
    db.session.commit()
    result = runner.invoke(args=["cohorts", "create", "window", "--courses", "refresher",
                                 "--exposure", "2020-09-01:2020-09-30", "--outcome", "2020-09-01:2020-12-31"])
    assert result.exit_code == 0, result.output
    cohort = services.cohort_by_name("window")
    assert services.cohort_report(cohort).figures["linkage"]["stale_links"] == 2
    assert services.stale_link_count(datetime(2020, 10, 2).date(), datetime(2020, 12, 31).date()) == 0
    login_as("evaluator")
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert "2 records in the outcome window link to a different DSL" in page
    services.relink()
    db.session.commit()
    assert services.cohort_report(cohort).figures["linkage"]["stale_links"] == 0
    assert "link to a different DSL" not in client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)


# -- aliases --------------------------------------------------------------------------------------


@pytest.fixture
def unlinked(runner, tmp_path, make_dsl):
    """A DSL on the register, and records from an email of theirs the register does not hold."""
    dsl = make_dsl(email="j.smith@school.example.org", name="Jo Smith")
    _import(runner, "contacts", _contacts(tmp_path, ("A", "jo.home@mail.example.org"), ("B", "jo.home@mail.example.org"),
                                          ("C", "j.smith@school.example.org")))
    consultations = tmp_path / "eh.csv"
    consultations.write_text("consultation_id,date,referrer_email\nE1,2020-10-01,jo.home@mail.example.org\n")
    _import(runner, "early-help", consultations)
    return dsl


def test_an_evaluator_maps_an_unlinked_email_and_the_records_relink_audited(client, login_as, unlinked):
    user = login_as("evaluator")
    page = client.get("/cohorts/linkage").get_data(as_text=True)
    assert "/cohorts/linkage/aliases/new?email=jo.home@mail.example.org" in page
    search = client.get("/cohorts/linkage/aliases/new?email=jo.home@mail.example.org&q=jo smith").get_data(as_text=True)
    assert "Jo Smith, j.smith@school.example.org" in search and 'value="%d"' % unlinked.id in search
    confirm = client.post("/cohorts/linkage/aliases/new?email=jo.home@mail.example.org&q=jo+smith",
                          data={"email": "jo.home@mail.example.org", "dsl": str(unlinked.id)})
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Check the mapping" in page
    assert "2 MASH records and 1 Early Help consultations" in page
    assert db.session.scalar(select(func.count()).select_from(DslAlias)) == 0  # nothing yet
    response = client.post("/cohorts/linkage/aliases", data={"email": "jo.home@mail.example.org", "dsl": str(unlinked.id)},
                           headers={"X-Forwarded-For": "198.51.100.7"})
    assert response.status_code == 302
    assert _links() == {"A": unlinked.id, "B": unlinked.id, "C": unlinked.id}
    assert set(_links(EarlyHelpConsultation).values()) == {unlinked.id}
    alias = db.session.scalar(select(DslAlias))
    assert (alias.email, alias.dsl_id, alias.created_by_id) == ("jo.home@mail.example.org", unlinked.id, user.id)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.object_type == "dsl_alias"))
    assert (event.event, event.object_type, event.object_id, event.user_id) == (
        "cohorts.alias.created", "dsl_alias", str(alias.id), user.id)
    assert event.remote_addr == "198.51.100.7"  # the test client's 127.0.0.1 is a trusted proxy by default
    assert event.old_values is None
    assert event.new_values == {"email": "jo.home@mail.example.org", "dsl_id": unlinked.id,
                                "dsl_email": "j.smith@school.example.org"}
    page = client.get("/cohorts/linkage").get_data(as_text=True)
    assert "Mapped jo.home@mail.example.org to j.smith@school.example.org" in page
    assert "Every record with a referrer email links to a DSL." in page


def test_removing_an_alias_unlinks_its_records_audited(client, login_as, unlinked):
    alias, _ = services.create_alias("jo.home@mail.example.org", unlinked.id, user_id=None)
    db.session.commit()
    user = login_as("evaluator")
    response = client.post(f"/cohorts/linkage/aliases/{alias.id}/remove?batch=1", data={})
    assert response.status_code == 302 and response.headers["Location"].endswith("/cohorts/linkage?batch=1")
    assert db.session.scalar(select(func.count()).select_from(DslAlias)) == 0
    assert _links() == {"A": None, "B": None, "C": unlinked.id}
    events = db.session.execute(select(AuditEvent.event, AuditEvent.user_id, AuditEvent.old_values)
                                .where(AuditEvent.object_type == "dsl_alias").order_by(AuditEvent.id)).all()
    assert events == [("cohorts.alias.created", None, None),
                      ("cohorts.alias.removed", user.id, {"email": "jo.home@mail.example.org", "dsl_id": unlinked.id,
                                                          "dsl_email": "j.smith@school.example.org"})]


def test_an_alias_for_a_register_email_is_refused_and_nothing_written(client, login_as, unlinked):
    login_as("evaluator")
    page = client.get("/cohorts/linkage/aliases/new?email=J.Smith@school.example.org").get_data(as_text=True)
    assert "govuk-error-summary" in page and "is on the DSL register (Jo Smith)" in page
    response = client.post("/cohorts/linkage/aliases", data={"email": "j.smith@school.example.org", "dsl": str(unlinked.id)})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "govuk-error-summary" in page and "is on the DSL register" in page
    assert db.session.scalar(select(func.count()).select_from(DslAlias)) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.object_type == "dsl_alias")) == 0


def test_a_second_alias_for_the_same_email_is_refused(client, login_as, unlinked, make_dsl):
    services.create_alias("jo.home@mail.example.org", unlinked.id, user_id=None)
    db.session.commit()
    other = make_dsl()
    login_as("evaluator")
    response = client.post("/cohorts/linkage/aliases", data={"email": "jo.home@mail.example.org", "dsl": str(other.id)})
    assert "is already mapped to Jo Smith (j.smith@school.example.org). Remove that alias first." in response.get_data(as_text=True)
    assert _links()["A"] == unlinked.id


def test_aliases_and_relinking_without_the_form_token_are_refused(app, client, login_as, unlinked, monkeypatch):
    alias, _ = services.create_alias("jo.home@mail.example.org", unlinked.id, user_id=None)
    db.session.commit()
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    login_as("evaluator")
    for url, data in (("/cohorts/linkage/aliases", {"email": "other@mail.example.org", "dsl": str(unlinked.id)}),
                      (f"/cohorts/linkage/aliases/{alias.id}/remove", {}), ("/cohorts/linkage/relink", {})):
        assert client.post(url, data=data).status_code == 400, url
    assert db.session.scalars(select(DslAlias.email)).all() == ["jo.home@mail.example.org"]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.object_type == "dsl_alias")) == 1


@pytest.mark.parametrize("query, data, message", [
    ("email=jo.home@mail.example.org&q=", None, "Enter a name, an email or a school"),
    ("email=&q=smith", None, "Enter the referrer email to map"),
    ("email=not-an-email&q=smith", None, "Enter the referrer email to map, like name@school.example.org"),
    ("email=jo.home@mail.example.org&q=smith", {"email": "jo.home@mail.example.org"}, "Choose the DSL this email belongs to"),
    ("email=jo.home@mail.example.org&q=smith", {"email": "jo.home@mail.example.org", "dsl": "999999"},
     "Choose the DSL this email belongs to from the register"),
    ("", {"email": "j.smith@school.example.org", "dsl": "1"}, "is on the DSL register (Jo Smith)"),
])
def test_bad_alias_input_gets_a_message_and_changes_nothing(client, login_as, unlinked, query, data, message):
    login_as("evaluator")
    url = f"/cohorts/linkage/aliases/new?{query}"
    response = client.post(url, data=data) if data is not None else client.get(url)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "govuk-error-summary" in page and message in page
    assert db.session.scalar(select(func.count()).select_from(DslAlias)) == 0


def test_a_nul_in_the_alias_form_or_the_filters_is_refused_and_changes_nothing(client, login_as, unlinked):
    login_as("evaluator")
    for response in (client.post("/cohorts/linkage/aliases", data={"email": "jo.home@mail.example.org", "dsl": "x\x00"}),
                     client.get("/cohorts/linkage?batch=abc%00")):
        assert response.status_code == 400 and "a character that is not allowed" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(DslAlias)) == 0


def test_the_search_is_read_only_and_finds_by_name_email_or_school(client, login_as, unlinked, make_dsl, make_school):
    make_dsl(school=make_school(name="Hillside Primary"), email="a.jones@hillside.example.org", name="Alex Jones")
    login_as("evaluator")
    for term in ("alex", "a.jones@", "hillside"):
        page = client.get(f"/cohorts/linkage/aliases/new?email=x@mail.example.org&q={term}").get_data(as_text=True)
        assert "Alex Jones, a.jones@hillside.example.org, Hillside Primary" in page and "Jo Smith" not in page
        assert "/admin/dsls" not in page  # no way from here to edit the register
    assert client.get("/admin/dsls").status_code == 403


def test_imports_honour_aliases_and_the_register_wins_over_one(runner, tmp_path, unlinked, make_school):
    services.create_alias("jo.home@mail.example.org", unlinked.id, user_id=None)
    db.session.commit()
    _import(runner, "contacts", _contacts(tmp_path, ("D", "Jo.Home@mail.example.org"), name="later.csv"))
    assert _links()["D"] == unlinked.id
    assert services.stale_links() == {"mash_records": 0, "early_help": 0}
    # The register gains the email (another person's after all): it wins, and the alias is unused.
    school = make_school()
    register = tmp_path / "dsls.csv"
    register.write_text(f"email,name,school_urn\njo.home@mail.example.org,Jo Home,{school.urn}\n")
    _import(runner, "dsls", register)
    owner = _dsl("jo.home@mail.example.org").id
    assert {k: v for k, v in _links().items() if k != "C"} == {"A": owner, "B": owner, "D": owner}
    assert [a["shadowed"] for a in services.aliases()] == [True]
    assert services.stale_links() == {"mash_records": 0, "early_help": 0}


def test_an_alias_made_stale_behind_the_service_is_counted(runner, unlinked):
    db.session.add(DslAlias(email="jo.home@mail.example.org", dsl_id=unlinked.id))
    db.session.commit()
    assert services.stale_links() == {"mash_records": 2, "early_help": 1}
    assert services.relink()["changed"] == {"mash_records": 2, "early_help": 1}
    assert services.stale_links() == {"mash_records": 0, "early_help": 0}


def test_alias_and_unalias_commands(runner, unlinked):
    result = runner.invoke(args=["cohorts", "alias", "Jo.Home@mail.example.org", "J.Smith@school.example.org"])
    assert result.exit_code == 0, result.output
    assert "jo.home@mail.example.org now links to Jo Smith: 2 MASH records and 1 Early Help" in result.output
    assert _links()["A"] == unlinked.id
    refused = runner.invoke(args=["cohorts", "alias", "j.smith@school.example.org", "j.smith@school.example.org"])
    assert refused.exit_code == 1 and "is on the DSL register" in refused.output
    unknown = runner.invoke(args=["cohorts", "alias", "x@mail.example.org", "nobody@school.example.org"])
    assert unknown.exit_code == 1 and "No DSL on the register has the email nobody@school.example.org" in unknown.output
    result = runner.invoke(args=["cohorts", "unalias", "jo.home@mail.example.org"])
    assert result.exit_code == 0 and "removed" in result.output
    assert _links()["A"] is None
    assert runner.invoke(args=["cohorts", "unalias", "jo.home@mail.example.org"]).exit_code == 1
    events = db.session.execute(select(AuditEvent.event, AuditEvent.user_id, AuditEvent.remote_addr)
                                .where(AuditEvent.object_type == "dsl_alias").order_by(AuditEvent.id)).all()
    assert events == [("cohorts.alias.created", None, None), ("cohorts.alias.removed", None, None)]


# -- filters ----------------------------------------------------------------------------------------


def test_the_linkage_page_filters_by_source_and_batch(client, login_as, runner, tmp_path, make_dsl):
    make_dsl(email="linked@school.example.org")
    _import(runner, "contacts", _contacts(tmp_path, ("A", "linked@school.example.org"), ("B", "school.only@x.example.org"),
                                          ("C", "police.only@x.example.org", "Police"), name="first.csv"))
    _import(runner, "contacts", _contacts(tmp_path, ("D", "second.batch@x.example.org"), name="second.csv"))
    first, second = db.session.scalars(select(ImportBatch.id).order_by(ImportBatch.id)).all()
    login_as("evaluator")
    everything = client.get("/cohorts/linkage").get_data(as_text=True)
    assert all(e in everything for e in ("school.only@", "police.only@", "second.batch@"))
    assert services.linkage_counts()["records"] == 4

    page = client.get("/cohorts/linkage?source=Police").get_data(as_text=True)
    assert "police.only@" in page and "school.only@" not in page and "second.batch@" not in page
    assert "Records from Police" in page and "Early Help consultations have no source" in page
    assert "/cohorts/linkage/aliases/new?email=police.only@x.example.org&amp;source=Police" in page
    counts = services.linkage_counts(services.LinkageFilter(source="Police"))
    assert (counts["records"], counts["linked"], counts["early_help"]) == (1, 0, None)

    page = client.get(f"/cohorts/linkage?source=School&batch={first}").get_data(as_text=True)
    assert "school.only@" in page and "police.only@" not in page and "second.batch@" not in page
    counts = services.linkage_counts(services.LinkageFilter(source="School", batch_id=first))
    assert (counts["records"], counts["linked"], counts["unlinked"]) == (2, 1, 1)
    assert services.linkage_counts(services.LinkageFilter(batch_id=second))["records"] == 1


@pytest.mark.parametrize("query, message", [
    ("batch=999999", "Choose an import batch from the list"),
    ("source=Nobody", "Choose a source from the list"),
])
def test_a_bad_filter_gets_a_message_and_shows_everything(client, login_as, runner, tmp_path, query, message):
    _import(runner, "contacts", _contacts(tmp_path, ("A", "someone@x.example.org")))
    login_as("evaluator")
    response = client.get(f"/cohorts/linkage?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "govuk-error-summary" in page and message in page
    assert "Every record" in page and "someone@x.example.org" in page


def test_relinking_a_few_emails_touches_only_their_records(runner, tmp_path, make_dsl, db_session):
    dsl = make_dsl(email="mine@school.example.org")
    _import(runner, "contacts", _contacts(tmp_path, ("A", "mine@school.example.org"), ("B", "else@school.example.org")))
    # B made stale behind the service's back; relinking A's email leaves it as it is.
    db_session.execute(text("UPDATE mash_records SET dsl_id = :id WHERE contact_id = 'B'"), {"id": dsl.id})
    assert services.relink_emails(["MINE@school.example.org "]) == {"mash_records": 0, "early_help": 0}
    assert services.relink_emails(["else@school.example.org"]) == {"mash_records": 1, "early_help": 0}
    assert _links() == {"A": dsl.id, "B": None}
