import pytest

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_queue(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["queue"]["ok"] is True


def test_healthz_answers_503_when_database_is_down(client, monkeypatch):
    from grassroots.core import views

    monkeypatch.setattr(views, "check_database", lambda: {"ok": False, "error": "OperationalError"})
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"


def test_healthz_is_get_only(client):
    assert client.post("/healthz").status_code == 405
