"""Login, logout and the choice of the organisation a person acts for."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from salamat.accounts.selectors import SESSION_ORG_KEY, organizations_of
from salamat.core.pages import login_required, safe_next
from salamat.web.forms import LoginForm, OrganizationSwitchForm


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        esi_url = getattr(settings, "ESI_LOGIN_URL", "")
        if esi_url:
            next_url = self.get_redirect_url()
            separator = "&" if "?" in esi_url else "?"
            context["esi_login_url"] = esi_url + (
                separator + urlencode({"next": next_url}) if next_url else ""
            )
        return context

    def form_valid(self, form):
        response = super().form_valid(form)
        # A fresh login starts with the person's first organisation.
        self.request.session.pop(SESSION_ORG_KEY, None)
        return response


class LogoutView(auth_views.LogoutView):
    """POST logs out; GET (a bookmarked or typed /logout/) asks for confirmation."""

    http_method_names = ["get", "post", "options"]
    template_name = "web/logout_confirm.html"

    def get(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(settings.LOGOUT_REDIRECT_URL)
        return render(request, self.template_name)

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You have logged out."))
        return response


@require_POST
@login_required
def organization_switch(request):
    """Makes the person act for another of their organisations (only one they belong to)."""
    form = OrganizationSwitchForm(request.POST)
    chosen = None
    if form.is_valid():
        wanted = form.cleaned_data["organization"]
        chosen = next((o for o in organizations_of(request.user) if o.external_id == wanted), None)
    if chosen is None:
        messages.error(request, _("You are not a member of that organisation."))
        return redirect(safe_next(request))
    request.session[SESSION_ORG_KEY] = str(chosen.external_id)
    if hasattr(request, "actor"):
        del request.actor
    messages.success(request, _("You now act for %(organization)s.") % {"organization": chosen})
    return redirect(safe_next(request))
