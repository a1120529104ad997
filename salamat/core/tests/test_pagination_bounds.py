"""A page number past any real page answers an empty page, not 500 (found by the property
probes: `GET /api/v1/recalls?page=18113117888320354304` overflowed PostgreSQL's OFFSET)."""

import pytest


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/recalls?page_size=11&page=18113117888320354304",
        "/api/v1/organizations?q=Ship&page=275362229844931872&page_size=128",
        "/api/v1/products?page=9223372036854775807&page_size=200",
    ],
)
def test_an_absurd_page_is_empty(path, api, make_org, make_token):
    response = api(make_token(make_org("ministry"))).get(path)
    assert response.status_code in (200, 422), response.content
    if response.status_code == 200:
        assert response.json()["items"] == []
    else:
        assert response.json()["code"] == "validation_error"
