"""Password guessing is stopped: after LOGIN_FAILURE_LIMIT failures an account, and an address,
is locked for LOGIN_LOCKOUT_SECONDS with a clear message (issue 14, item 3)."""

import time

import pytest
from django.conf import settings
from django.test import Client, override_settings

from conftest import TEST_PASSWORD
from salamat.core.conf import setting

LOGIN_PAGES = ["/login/", "/admin/login/"]


def _post(client: Client, url: str, username: str, password: str, **headers):
    return client.post(url, {"username": username, "password": password, "next": "/"}, **headers)


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _salamat(**changes):
    return override_settings(SALAMAT={**settings.SALAMAT, **changes})


@pytest.mark.parametrize("url", LOGIN_PAGES)
def test_forty_wrong_passwords_then_the_right_one_is_refused(url, make_user):
    # given a ministry staff member (the admin site takes staff only)
    user = make_user(username="guessed")
    user.is_staff = True
    user.save()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    # when someone tries 40 wrong passwords, then the right one
    statuses = [_post(client, url, "guessed", f"wrong-{i}").status_code for i in range(40)]
    response = _post(client, url, "guessed", TEST_PASSWORD)
    # then the guesses past the limit and the right password are all refused, with the message
    limit = setting("LOGIN_FAILURE_LIMIT")
    assert statuses[: limit - 1] == [200] * (limit - 1)
    assert set(statuses[limit:]) == {429}
    assert response.status_code == 429
    assert not _logged_in(client)
    assert "Too many failed logins" in response.content.decode()
    assert int(response["Retry-After"]) > 0


def test_the_message_is_translated(make_user):
    make_user(username="guessed")
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    for i in range(setting("LOGIN_FAILURE_LIMIT") + 1):
        response = _post(client, "/login/", "guessed", f"wrong-{i}")
    assert response.status_code == 429
    assert "Слишком много неудачных попыток входа" in response.content.decode()


def test_after_the_cool_off_the_right_password_works(make_user):
    make_user(username="guessed")
    client = Client()
    with _salamat(LOGIN_LOCKOUT_SECONDS=2):
        for i in range(setting("LOGIN_FAILURE_LIMIT")):
            _post(client, "/login/", "guessed", f"wrong-{i}")
        assert _post(client, "/login/", "guessed", TEST_PASSWORD).status_code == 429
        time.sleep(2.5)
        response = _post(client, "/login/", "guessed", TEST_PASSWORD)
    assert response.status_code == 302
    assert _logged_in(client)


def test_an_account_is_locked_whatever_the_address(make_user):
    make_user(username="guessed")
    for i in range(setting("LOGIN_FAILURE_LIMIT")):
        _post(Client(REMOTE_ADDR=f"203.0.113.{i + 1}"), "/login/", "guessed", f"wrong-{i}")
    assert _post(Client(REMOTE_ADDR="198.51.100.9"), "/login/", "guessed", TEST_PASSWORD).status_code == 429


def test_an_address_is_locked_whatever_the_account(make_user):
    make_user(username="someone")
    client = Client(REMOTE_ADDR="203.0.113.5")
    for i in range(setting("LOGIN_FAILURE_LIMIT")):
        _post(client, "/login/", f"sprayed-{i}", "Password1")
    assert _post(client, "/login/", "someone", TEST_PASSWORD).status_code == 429
    # another address may still log in to that account
    assert _post(Client(REMOTE_ADDR="203.0.113.6"), "/login/", "someone", TEST_PASSWORD).status_code == 302


@override_settings(TRUSTED_PROXIES=["10.0.0.1"])
def test_behind_the_proxy_each_client_counts_alone(make_user):
    make_user(username="someone")
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    guesser = Client(HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy)
    for i in range(setting("LOGIN_FAILURE_LIMIT")):
        _post(guesser, "/login/", f"sprayed-{i}", "Password1")
    assert _post(guesser, "/login/", "someone", TEST_PASSWORD).status_code == 429
    # a citizen behind the same proxy is not locked out by the guesser
    citizen = Client(HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    assert _post(citizen, "/login/", "someone", TEST_PASSWORD).status_code == 302
