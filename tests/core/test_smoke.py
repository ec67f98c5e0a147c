def test_start_page_is_public(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"Right Support" in response.data
