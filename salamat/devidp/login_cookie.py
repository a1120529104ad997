"""Who is logged in *at the stand-in provider*: the provider's own signed cookie.

Deliberately not ``request.session``: the platform and the provider share one host
and one session cookie, and a provider login stored in the session would log the
person straight into the platform (see ``salamat.devidp.models``). The cookie is
limited to ``/devidp/``, signed with the project's secret key and HttpOnly.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from salamat.devidp.models import DevPerson

COOKIE_NAME = "devidp_login"
COOKIE_PATH = "/devidp/"
MAX_AGE_SECONDS = 8 * 3600
_SALT = "salamat.devidp.login"


def person_logged_in(request: HttpRequest) -> DevPerson | None:
    """The fictional person logged in at the provider in this browser, if any."""
    sub = request.get_signed_cookie(COOKIE_NAME, default=None, salt=_SALT, max_age=MAX_AGE_SECONDS)
    if not sub:
        return None
    return DevPerson.objects.select_related("shadow_user").filter(sub=sub).first()


def remember_person(response: HttpResponse, request: HttpRequest, person: DevPerson) -> None:
    response.set_signed_cookie(
        COOKIE_NAME,
        person.sub,
        salt=_SALT,
        max_age=MAX_AGE_SECONDS,
        path=COOKIE_PATH,
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )


def forget_person(response: HttpResponse) -> None:
    response.delete_cookie(COOKIE_NAME, path=COOKIE_PATH, samesite="Lax")
