"""Helpers for tests that go through the real ESI login against a live test server.

``EsiBrowser`` plays the browser with ``requests`` (cookies, forms, redirects one at a
time), so every step of the redirect flow can be looked at or tampered with; the
platform's own back-channel calls (discovery, token, JWKS, userinfo) go over HTTP to
the same live server, as they do in development.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from django.conf import settings
from lxml import html

from salamat.devidp.people import PEOPLE

CLINIC_REPRESENTATIVE = PEOPLE[0].sub
DOCTOR = PEOPLE[1].sub
CITIZEN = PEOPLE[2].sub


def esi_setup(live_server) -> None:
    """The platform's OAuth client and the fictional people, for a test on `live_server`."""
    from salamat.devidp.services import devidp_setup

    devidp_setup(public_base_url=live_server.url)


@dataclass
class Answer:
    """The provider's authorization answer, as the browser is about to deliver it."""

    method: str  # "POST" (form_post) or "GET" (query)
    action: str
    fields: dict[str, str]


class EsiBrowser:
    def __init__(self, base_url: str):
        self.base = base_url.rstrip("/")
        self.http = requests.Session()
        self.http.headers["Accept-Language"] = "en"  # the tests read the platform's messages in English

    def url(self, path: str) -> str:
        return urljoin(self.base + "/", path.lstrip("/"))

    def get(self, url: str, **kwargs) -> requests.Response:
        return self.http.get(self.url(url), allow_redirects=False, timeout=30, **kwargs)

    def post(self, url: str, data, **kwargs) -> requests.Response:
        return self.http.post(self.url(url), data=data, allow_redirects=False, timeout=30, **kwargs)

    # --- the steps of a login ----------------------------------------------------------

    def start(self, next_url: str = "") -> str:
        """Clicks "Log in with ESI"; returns the provider's authorization URL."""
        response = self.get(settings.ESI_LOGIN_URL + (f"?next={next_url}" if next_url else ""))
        assert response.status_code == 302, response.text[:500]
        return response.headers["Location"]

    def pick(self, authorize_url: str, sub: str) -> requests.Response:
        """At the provider: the login page, then one click on the person `sub`."""
        response = self.get(authorize_url)
        assert response.status_code == 302, response.text[:500]
        login_url = response.headers["Location"]
        assert urlsplit(login_url).path == "/devidp/login/", login_url
        page = self.get(login_url)
        assert page.status_code == 200
        form = _person_form(page.text, sub)
        response = self.post(form.action, form.fields)
        assert response.status_code == 302, response.text[:500]
        return self.get(response.headers["Location"])

    def answer(self, response: requests.Response) -> Answer:
        """The authorization answer in the provider's response (form_post page or redirect)."""
        if response.status_code == 302:
            location = response.headers["Location"]
            query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
            return Answer("GET", location.split("?", 1)[0], query)
        assert response.status_code == 200, response.text[:500]
        doc = html.fromstring(response.text)
        form = doc.forms[0]
        return Answer("POST", form.action, {i.name: i.value or "" for i in form.inputs if i.name})

    def deliver(self, answer: Answer) -> requests.Response:
        """The browser carrying the answer to the platform's callback."""
        if answer.method == "POST":
            return self.post(answer.action, answer.fields)
        return self.get(answer.action, params=answer.fields)

    def login_as(self, sub: str, next_url: str = "") -> requests.Response:
        """The whole login; returns the callback's response (a redirect)."""
        return self.deliver(self.answer(self.pick(self.start(next_url), sub)))

    def whoami(self) -> requests.Response:
        return self.get("/api/v1/whoami")


def _person_form(page: str, sub: str) -> Answer:
    doc = html.fromstring(page)
    for form in doc.forms:
        fields = {i.name: i.value or "" for i in form.inputs if i.name}
        if fields.get("person") == sub:
            return Answer("POST", form.action, fields)
    raise AssertionError(f"no person {sub!r} on the stand-in login page")
