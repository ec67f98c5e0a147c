"""The edit page names the material once (never 'Edit the the ...'), and PDFs download as files."""


def test_the_edit_page_title_has_no_doubled_words(client, login_as):
    login_as("admin")
    client.get("/admin/materials/")  # makes version 1
    page = client.get("/admin/materials/poster/edit").get_data(as_text=True)
    assert "<h1 class=\"govuk-heading-xl\">Edit the &#39;at a glance&#39; poster</h1>" in page
    assert "the the" not in page.lower()


def test_material_pdfs_download_as_attachments(client, login_as, published):
    login_as("dsl")
    response = client.get("/materials/poster.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    response.close()
