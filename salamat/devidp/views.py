"""Pages and OpenID Connect endpoints of the stand-in ESI provider.

The OIDC endpoints are django-oauth-toolkit's, with three changes: the provider's
user comes from the provider's own cookie (never from the platform's session, see
``salamat.devidp.login_cookie``), ``response_mode=form_post`` is supported, and
ending the provider session leaves the platform's session alone.
"""

from __future__ import annotations

import json
from importlib import import_module
from urllib.parse import parse_qs, parse_qsl, urlsplit, urlunsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from oauth2_provider.models import get_application_model
from oauth2_provider.views import AuthorizationView, ConnectDiscoveryInfoView, RPInitiatedLogoutView

from salamat.devidp.login_cookie import forget_person, person_logged_in, remember_person
from salamat.devidp.models import DevPerson
from salamat.devidp.services import devidp_person_logged_in

FORM_POST = "form_post"


def _use_provider_login(request: HttpRequest) -> None:
    # The provider's user is whoever picked a person on the provider's login page.
    # Whatever the platform session says is ignored here, and nothing is written to it.
    person = person_logged_in(request)
    request.user = person.shadow_user if person is not None else AnonymousUser()


class IndexView(View):
    """The provider's home: who is logged in at the stand-in ESI, and a way out."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "devidp/index.html", {"current": person_logged_in(request)})


class LoginView(View):
    """The stand-in ESI login page: pick a fictional person, be logged in at the provider."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._page(request, next_url=_safe_next(request, request.GET.get("next")))

    def post(self, request: HttpRequest) -> HttpResponse:
        next_url = _safe_next(request, request.POST.get("next"))
        person = (
            DevPerson.objects.select_related("shadow_user").filter(sub=request.POST.get("person")).first()
        )
        if person is None:
            return self._page(
                request, next_url=next_url, error=_("Pick one of the people below."), status=400
            )
        devidp_person_logged_in(person=person)
        response = redirect(next_url or reverse("devidp:index"))
        remember_person(response, request, person)
        return response

    def _page(
        self, request: HttpRequest, *, next_url: str, error: str = "", status: int = 200
    ) -> HttpResponse:
        client_name = ""
        if next_url:
            client_id = parse_qs(urlsplit(next_url).query).get("client_id", [""])[0]
            application = get_application_model().objects.filter(client_id=client_id).first()
            client_name = application.name if application else ""
        context = {
            "people": DevPerson.objects.all(),
            "current": person_logged_in(request),
            "next_url": next_url,
            "client_name": client_name,
            "error": error,
        }
        return render(request, "devidp/login.html", context, status=status)


class SignOutView(View):
    """Ends the login at the stand-in provider only (the platform session is not touched)."""

    def post(self, request: HttpRequest) -> HttpResponse:
        response = redirect("devidp:index")
        forget_person(response)
        return response


def _safe_next(request: HttpRequest, url: str | None) -> str:
    """`url` if it is this provider's authorization endpoint on this host, else ''."""
    if not url or not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return ""
    return url if urlsplit(url).path == reverse("oauth2_provider:authorize") else ""


class StandInAuthorizationView(AuthorizationView):
    """The authorization endpoint; answers with a self-submitting form for `response_mode=form_post`."""

    template_name = "devidp/authorize.html"
    login_url = reverse_lazy("devidp:login")

    def dispatch(self, request, *args, **kwargs):
        platform_user = request.user
        _use_provider_login(request)
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            # The platform's middleware, which runs after this view, must see the platform's
            # own user again: the provider's shadow user would look like a platform login
            # (and its end, on the next request, like an expired platform session).
            request.user = platform_user

    def redirect(self, redirect_to, application):
        # Called with a redirect URI the client registered (oauthlib validated it), for
        # codes and for errors alike; oauthlib knows only `query` and `fragment`.
        mode = self.request.GET.get("response_mode") or self.request.POST.get("response_mode")
        if mode == FORM_POST:
            return _form_post(self.request, redirect_to)
        return super().redirect(redirect_to, application)


def _form_post(request: HttpRequest, redirect_to: str) -> HttpResponse:
    """OAuth 2.0 Form Post Response Mode: the parameters travel in an auto-submitted POST body."""
    parts = urlsplit(redirect_to)
    if parts.scheme not in ("http", "https"):
        return HttpResponseBadRequest("redirect URI scheme not allowed")
    action = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    fields = parse_qsl(parts.query, keep_blank_values=True)
    response = render(request, "devidp/form_post.html", {"action": action, "fields": fields})
    response["Cache-Control"] = "no-store"
    return response


class StandInDiscoveryView(ConnectDiscoveryInfoView):
    """OpenID Provider metadata, also announcing the `form_post` response mode."""

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        data = json.loads(response.content)
        data["response_modes_supported"] = ["query", FORM_POST]
        data["service_documentation"] = request.build_absolute_uri(reverse("devidp:index"))
        out = JsonResponse(data)
        out["Access-Control-Allow-Origin"] = "*"
        return out


class StandInLogoutView(RPInitiatedLogoutView):
    """RP-initiated logout (end-session endpoint): ends the provider login, revokes its tokens."""

    template_name = "devidp/logout_confirm.html"

    def dispatch(self, request, *args, **kwargs):
        platform_user = request.user
        _use_provider_login(request)
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            # The platform's middleware, which runs after this view, must see the platform's
            # own user again: the provider's shadow user would look like a platform login
            # (and its end, on the next request, like an expired platform session).
            request.user = platform_user

    def do_logout(self, application=None, post_logout_redirect_uri=None, state=None, token_user=None):
        # django-oauth-toolkit ends the provider session with django.contrib.auth.logout(),
        # which would flush the *platform's* session (one host, one session cookie). Give it
        # a throwaway session instead; the provider's own login lives in its cookie.
        platform_session = self.request.session
        self.request.session = import_module(settings.SESSION_ENGINE).SessionStore()
        try:
            response = super().do_logout(application, post_logout_redirect_uri, state, token_user)
        finally:
            self.request.session = platform_session
        forget_person(response)
        return response
