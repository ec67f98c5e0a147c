"""The project's example files import by command and by upload; a bad row rejects the file whole."""

import io

from sqlalchemy import func, select

from core.extensions import db
from core.models import ImportBatch
from people.models import Dsl, School


def counts():
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (School, Dsl, ImportBatch))


def test_example_files_import_by_command_and_twice_changes_nothing(runner, formats):
    result = runner.invoke(args=["import", "schools", str(formats / "schools.csv")])
    assert result.exit_code == 0, result.output
    assert "created 4, updated 0, unchanged 0" in result.output
    result = runner.invoke(args=["import", "dsls", str(formats / "dsls.csv")])
    assert result.exit_code == 0, result.output
    assert "created 4" in result.output
    before = counts()
    snapshot = db.session.execute(select(Dsl.email, Dsl.name, Dsl.school_id, Dsl.role, Dsl.updated_at)).all()
    for kind, name in (("schools", "schools.csv"), ("dsls", "dsls.csv")):
        result = runner.invoke(args=["import", kind, str(formats / name)])
        assert result.exit_code == 0
        assert "created 0, updated 0, unchanged" in result.output
    assert counts() == before
    assert db.session.execute(select(Dsl.email, Dsl.name, Dsl.school_id, Dsl.role, Dsl.updated_at)).all() == snapshot


def test_command_rejects_a_bad_row_naming_row_and_column(runner, formats, tmp_path):
    bad = tmp_path / "schools.csv"
    lines = (formats / "schools.csv").read_text().splitlines()
    lines[2] = lines[2].replace("1044", "about a thousand")
    bad.write_text("\n".join(lines) + "\n")
    result = runner.invoke(args=["import", "schools", str(bad)])
    assert result.exit_code == 1
    assert "Row 3, column 'pupils': 'about a thousand' is not a whole number." in result.output
    assert counts() == (0, 0, 0)


def test_unknown_kind_is_a_usage_error(runner, formats):
    result = runner.invoke(args=["import", "pupils", str(formats / "schools.csv")])
    assert result.exit_code == 2
    assert "KIND must be one of" in result.output


def upload(client, kind, name, data):
    return client.post("/imports/", data={"kind": kind, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_upload_previews_then_writes_on_confirm(client, login_as, formats):
    login_as("evaluator")
    response = upload(client, "schools", "schools.csv", (formats / "schools.csv").read_bytes())
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Records to create" in page and "Riverside Academy" in page
    assert counts() == (0, 0, 0), "a preview writes nothing"
    token = page.split('name="upload" type="hidden" value="')[1].split('"')[0]
    response = client.post("/imports/confirm", data={"upload": token})
    assert response.status_code == 302
    assert counts()[0] == 4
    assert db.session.scalar(select(ImportBatch.source)) == "web"

    upload(client, "dsls", "dsls.csv", (formats / "dsls.csv").read_bytes())
    page = upload(client, "dsls", "dsls.csv", (formats / "dsls.csv").read_bytes()).get_data(as_text=True)
    token = page.split('name="upload" type="hidden" value="')[1].split('"')[0]
    client.post("/imports/confirm", data={"upload": token})
    again = upload(client, "dsls", "dsls.csv", (formats / "dsls.csv").read_bytes()).get_data(as_text=True)
    assert "There is nothing to import" in again


def test_upload_with_a_bad_row_shows_row_and_column_and_writes_nothing(client, login_as, formats):
    login_as("admin")
    data = (formats / "schools.csv").read_text().replace("19.3", "193").encode()
    response = upload(client, "schools", "schools.csv", data)
    page = response.get_data(as_text=True)
    assert "The file cannot be imported" in page
    assert "Row 3, column &#39;fsm_percent&#39;: &#39;193&#39; is more than 100." in page
    assert 'name="upload"' not in page
    assert counts() == (0, 0, 0)


def test_someone_elses_upload_token_is_not_found(client, login_as, formats):
    login_as("evaluator")
    page = upload(client, "schools", "schools.csv", (formats / "schools.csv").read_bytes()).get_data(as_text=True)
    token = page.split('name="upload" type="hidden" value="')[1].split('"')[0]
    login_as("admin")
    assert client.post("/imports/confirm", data={"upload": token}).status_code == 404
    assert counts() == (0, 0, 0)


def test_upload_form_errors_are_summarised(client, login_as):
    login_as("admin")
    page = client.post("/imports/", data={}).get_data(as_text=True)
    assert "govuk-error-summary" in page
    assert "Choose what the file holds" in page and "Choose a CSV or Excel file to upload" in page
