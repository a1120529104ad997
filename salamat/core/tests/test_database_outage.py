"""While the database is unreachable the platform says so: 503 with Retry-After and the stable
code `service_unavailable` in the one error shape; pages get a plain 503 page (issue 14, item 2).

The production server (gunicorn with gunicorn.conf.py) runs pointed at a port where nothing
listens: every request that needs the database meets a refused connection."""

import pytest
import requests

from salamat.core.tests.servers import free_port, gunicorn

MACHINE = [
    ("get", "/api/v1/whoami", {"Authorization": "Bearer slm_abcdef123456_secret"}),
    ("get", "/api/v1/products?q=aspirin", {"Authorization": "Bearer slm_abcdef123456_secret"}),
    ("post", "/api/v1/sick-leaves/verify", {}),
    ("get", "/api/public/where?q=aspirin", {}),
    ("get", "/api/public/check?code=0104600000000001215ABC", {}),
    ("get", "/epcis/events", {"Authorization": "Bearer slm_abcdef123456_secret"}),
]


@pytest.fixture(scope="module")
def server_without_database():
    dead = f"postgres://salamat@127.0.0.1:{free_port()}/salamat"
    with gunicorn(env={"DATABASE_URL": dead, "REDIS_URL": ""}) as base:
        yield base


@pytest.mark.parametrize(("method", "path", "headers"), MACHINE, ids=[p for _m, p, _h in MACHINE])
def test_the_api_answers_503_service_unavailable(server_without_database, method, path, headers):
    response = requests.request(
        method, server_without_database + path, headers=headers, json={"number": "1", "pin": "2"}, timeout=30
    )
    assert response.status_code == 503, response.text
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == "service_unavailable"
    assert body["message"]
    assert int(response.headers["Retry-After"]) > 0


# Pages that need the database: a logged-in visitor's home (its session), a package's page, a search.
PAGES = [("/", {"Cookie": "salamat_session=abcdefghijklmnopqrstuvwxyz012345"}), ("/p/ABC123", {}),
         ("/where?q=aspirin", {})]  # fmt: skip


@pytest.mark.parametrize(("path", "headers"), PAGES, ids=[p for p, _h in PAGES])
def test_pages_answer_a_plain_503(server_without_database, path, headers):
    response = requests.get(server_without_database + path, headers=headers, timeout=30)
    assert response.status_code == 503
    assert response.headers["Content-Type"].startswith("text/html")
    assert int(response.headers["Retry-After"]) > 0
    assert "Traceback" not in response.text


def test_a_page_that_needs_no_database_still_answers(server_without_database):
    assert requests.get(server_without_database + "/login/", timeout=30).status_code == 200


def test_the_health_probe_says_unavailable(server_without_database):
    assert requests.get(server_without_database + "/healthz", timeout=30).status_code == 503
