"""Forms of the web pages: they check the shape of input; rules live in services."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """Django's login form with the attributes phones and password managers need."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("User name")
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        )
        self.fields["password"].label = _("Password")
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})
        self.error_messages = {
            **self.error_messages,
            "invalid_login": _("The user name or password is not correct. Both are case-sensitive."),
            "inactive": _("This account is disabled."),
        }


class ApiClientForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the software or device"),
        max_length=120,
        help_text=_("For example: Till 2, warehouse scanner, accounting system."),
        error_messages={"required": _("Give the API client a name.")},
    )


class OrganizationSwitchForm(forms.Form):
    organization = forms.UUIDField()
