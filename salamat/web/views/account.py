"""An organisation administrator's API clients: list, issue (token shown once), revoke."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from salamat.accounts import services
from salamat.accounts.models import Role
from salamat.accounts.selectors import actor_for_request, api_clients_of
from salamat.core.errors import DomainError
from salamat.core.pages import error_page, login_required
from salamat.web.forms import ApiClientForm


def _render_page(request, actor, *, form=None, issued=None, status=200):
    organization = actor.require_organization()
    return render(
        request,
        "web/account/api_clients.html",
        {
            "organization": organization,
            "clients": list(api_clients_of(organization).select_related("created_by")),
            "form": form or ApiClientForm(),
            "issued": issued,
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def api_clients(request):
    """GET lists the clients; POST issues one and shows its token on this response only."""
    actor = actor_for_request(request)
    try:
        actor.require_role(Role.ORG_ADMIN)
        actor.require_organization()
        if request.method == "GET":
            return _render_page(request, actor)
        form = ApiClientForm(request.POST)
        if not form.is_valid():
            return _render_page(request, actor, form=form, status=422)
        client, token = services.api_client_issue(
            actor=actor, organization=actor.organization, name=form.cleaned_data["name"]
        )
    except DomainError as exc:
        return error_page(request, exc)
    # No redirect: the token exists only in this answer (never stored, never in the session).
    return _render_page(request, actor, issued={"client": client, "token": token}, status=201)


@require_POST
@login_required
def api_client_revoke(request, external_id):
    actor = actor_for_request(request)
    try:
        actor.require_role(Role.ORG_ADMIN)
        client = services.api_client_get_for_actor(actor=actor, external_id=external_id)
        services.api_client_revoke(actor=actor, client=client)
    except DomainError as exc:
        return error_page(request, exc)
    messages.success(
        request, _("The API client “%(name)s” is revoked; its token no longer works.") % {"name": client.name}
    )
    return redirect("web:api_clients")
