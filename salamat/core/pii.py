"""Citizens' personal identifiers in the admin: masked unless the duty needs them.

Ministry staff see a PIN as `2************31`, an e-mail as `a***@example.kg` and a phone as
`+99655*****99`. A person whose duty needs the real values holds the permission
`core.reveal_personal_data` (superusers hold every permission); each time a person's page shows
them, an audit row `user.personal_data_reveal` says who saw whose data. Lists never reveal."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from salamat.core.actors import actor_for_user
from salamat.core.audit import audit_record

REVEAL_PERMISSION = "core.reveal_personal_data"
# Keys whose values are personal identifiers, wherever they appear (admin fields, audit changes).
PERSONAL_KEYS = ("pin", "email", "phone")


def may_reveal(request: HttpRequest) -> bool:
    return request.user.has_perm(REVEAL_PERMISSION)


def mask_pin(value: str | None) -> str:
    if not value:
        return ""
    value = str(value)
    return value[0] + "*" * max(len(value) - 3, 1) + value[-2:] if len(value) > 3 else "*" * len(value)


def mask_email(value: str | None) -> str:
    if not value:
        return ""
    local, _at, domain = str(value).partition("@")
    return f"{local[:1]}***@{domain}" if domain else local[:1] + "***"


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    value = str(value)
    keep = 6 if value.startswith("+") else 3
    return value[:keep] + "*" * max(len(value) - keep - 2, 1) + value[-2:] if len(value) > keep + 2 else "***"


def mask_value(key: str, value: Any) -> Any:
    """`value` masked as the identifier `key` names (recursively inside lists and dicts)."""
    if isinstance(value, dict):
        return {k: mask_value(key, v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value(key, v) for v in value]
    if value in (None, ""):
        return value
    if "email" in key:
        return mask_email(value)
    if "phone" in key:
        return mask_phone(value)
    return mask_pin(value)


def mask_personal(data: Any) -> Any:
    """A copy of JSON-like `data` with the values of personal keys masked."""
    if isinstance(data, dict):
        return {
            k: mask_value(k.lower(), v) if any(p in k.lower() for p in PERSONAL_KEYS) else mask_personal(v)
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [mask_personal(v) for v in data]
    return data


class PersonalDataAdminMixin:
    """For the admin of a model with `pin`, `email` and `phone`: masked fields in lists and for
    staff without the duty, real values (audited) for those with it."""

    personal_fields = PERSONAL_KEYS

    @staticmethod
    def _masked(name: str):
        def display(self, obj) -> str:
            return mask_value(name, getattr(obj, name, ""))

        display.short_description = name.upper() if name == "pin" else name.replace("_", " ")
        return display

    def get_list_display(self, request):
        return [f"{f}_masked" if f in self.personal_fields else f for f in super().get_list_display(request)]

    def get_search_fields(self, request):
        fields = super().get_search_fields(request)
        if may_reveal(request):
            return fields
        # Only exact PINs: a person already known may be found, no identifier can be guessed piecemeal.
        return [f for f in fields if f.lstrip("=^@") not in self.personal_fields or f.startswith("=")]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or may_reveal(request):
            return fieldsets
        return [
            (
                name,
                {
                    **opts,
                    "fields": [f"{f}_masked" if f in self.personal_fields else f for f in opts["fields"]],
                },
            )
            for name, opts in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not may_reveal(request):
            fields += [f"{f}_masked" for f in self.personal_fields]
        return fields

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200 and may_reveal(request):
            obj = self.get_object(request, object_id)
            shown = [f for f in self.personal_fields if obj is not None and getattr(obj, f, None)]
            if shown:
                audit_record(
                    actor=actor_for_user(request.user),
                    action="user.personal_data_reveal",
                    obj=obj,
                    changes={"fields": shown},
                )
        return response


for _name in PERSONAL_KEYS:
    setattr(PersonalDataAdminMixin, f"{_name}_masked", PersonalDataAdminMixin._masked(_name))
