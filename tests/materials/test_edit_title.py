"""The edit page names the material once: never 'Edit the the ...'."""


def test_the_edit_page_title_has_no_doubled_words(client, login_as):
    login_as("admin")
    client.get("/admin/materials/")  # makes version 1
    page = client.get("/admin/materials/poster/edit").get_data(as_text=True)
    assert "<h1 class=\"govuk-heading-xl\">Edit the &#39;at a glance&#39; poster</h1>" in page
    assert "the the" not in page.lower()
