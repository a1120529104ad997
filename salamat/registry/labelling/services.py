"""Every change to the labelling schemes (regulator only): atomic, audited, validated.

A scheme is refused when saved if it has no serial, if its pattern could be slow on long input,
or if it could read codes that are already GS1 codes, stickers or another active scheme's codes
(the refusal names an example that collides). Every change raises the scheme's `version`, which
every server process watches (`provider`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.codes import scheme_check
from salamat.codes.model import CodeError, ParsedCode
from salamat.codes.parser import parse
from salamat.codes.schemes import SchemeDefinitionError, SchemeSet
from salamat.core.actors import Actor
from salamat.core.audit import audit_record
from salamat.core.errors import Conflict, NotFound, ValidationFailed
from salamat.registry.labelling.provider import load, product_refs, provider, spec_of
from salamat.registry.models import LabellingScheme, Product, SchemeKind, SchemeProductCode

REGULATOR_ROLES = ("regulator",)
EDITABLE = (
    "name_ru", "name_ky", "name_en", "kind", "prefix", "pattern", "fields", "checks", "expiry_format", "description",
)  # fmt: skip
MAX_CSV_ROWS = 100_000


def require_regulator(actor: Actor) -> None:
    """The regulator (or a superuser, or the system: operators' commands and the demo seed)."""
    if actor.is_system:
        return
    if not (actor.has_role(*REGULATOR_ROLES) or (actor.user is not None and actor.user.is_superuser)):
        actor.require_role(*REGULATOR_ROLES)


def _changed() -> None:
    """This process re-reads the schemes at once; the others within SCHEME_RELOAD_SECONDS."""
    provider.invalidate()
    transaction.on_commit(provider.invalidate)


def _validate(scheme: LabellingScheme) -> None:
    """Refuses a definition that does not compile, is slow, or collides (ValidationFailed)."""
    try:
        spec = spec_of(scheme)
    except SchemeDefinitionError as exc:
        raise ValidationFailed(
            exc.code, _scheme_message(exc.code, exc.message), details=exc.details
        ) from None
    if scheme_check.slow_trial(spec):
        raise ValidationFailed(
            "slow_pattern",
            _("The pattern takes too long on long input (catastrophic backtracking); simplify it."),
        )
    others = SchemeSet(s for s in load(with_products=False) if s.name != scheme.code)
    clash = scheme_check.collision(spec, others)
    if clash is not None:
        other, example = clash
        if other == "gs1":
            message = _("The scheme would also read GS1 codes or system stickers, for example %(example)s.")
            code = "collides_with_gs1"
        else:
            message = _("The scheme would also read codes of scheme %(other)s, for example %(example)s.")
            code = "collides_with_scheme"
        example_text = example.encode("unicode_escape").decode("ascii")
        raise ValidationFailed(
            code,
            message % {"example": example_text, "other": other},
            details={"example": example, "other": other},
        )


def _scheme_message(code: str, fallback: str) -> str:
    return {
        "pattern_without_serial": _(
            "The pattern needs a named group 'serial': a code without a serial names no package."
        ),
        "slow_pattern": _(
            "The pattern uses backreferences, lookaround or a repeat inside an unbounded repeat, which can take "
            "exponential time on long input."
        ),
        "bad_pattern": _("The pattern is not a valid regular expression."),
        "bad_scheme_code": _(
            "The code must be lower-case letters, digits, '_', '.' or '-', starting with a letter."
        ),
        "bad_check_algorithm": _("Unknown check-digit algorithm."),
        "bad_check_part": _("A check-digit algorithm guards a part the code does not have."),
        "bad_field": _(
            "Each part needs its own data identifier (digits and one capital letter, like 9N or S)."
        ),
        "bad_prefix": _("The prefix must be printable characters without spaces."),
        "bad_expiry_format": _("The expiry format must be YYMMDD or YYYYMMDD."),
        "bad_scheme_kind": _("The kind must be pattern or envelope."),
    }.get(code, fallback)


@transaction.atomic
def scheme_create(*, actor: Actor, code: str, name_ru: str, name_ky: str = "", name_en: str = "", kind: str = SchemeKind.PATTERN,
                  prefix: str = "", pattern: str = "", fields: dict | None = None, checks: dict | None = None,
                  expiry_format: str = "YYMMDD", description: str = "") -> LabellingScheme:  # fmt: skip
    """Adds a labelling scheme, active at once (in every process within seconds)."""
    require_regulator(actor)
    if LabellingScheme.objects.filter(code=code).exists():
        raise Conflict("scheme_code_taken", _("A scheme with this code already exists."))
    scheme = LabellingScheme(
        code=code, name_ru=name_ru, name_ky=name_ky or name_ru, name_en=name_en or name_ru, kind=kind,
        prefix=prefix, pattern=pattern, fields=fields or {}, checks=checks or {}, expiry_format=expiry_format,
        description=description,
    )  # fmt: skip
    _validate(scheme)
    scheme.save()
    audit_record(actor=actor, action="labelling_scheme.create", obj=scheme, changes=_snapshot(scheme))
    _changed()
    return scheme


@transaction.atomic
def scheme_update(*, actor: Actor, scheme: LabellingScheme, **changes: Any) -> LabellingScheme:
    """Changes a scheme's definition or names; re-validated as a new one would be."""
    require_regulator(actor)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationFailed(
            "unknown_field", _("These fields cannot be changed: %s") % ", ".join(sorted(unknown))
        )
    scheme = LabellingScheme.objects.select_for_update().get(pk=scheme.pk)
    old = _snapshot(scheme)
    for name, value in changes.items():
        setattr(
            scheme, name, value if value is not None else ("" if name not in ("fields", "checks") else {})
        )
    if scheme.is_active:
        _validate(scheme)
    scheme.version = F("version") + 1
    scheme.save()
    scheme.refresh_from_db()
    new = _snapshot(scheme)
    audit_record(
        actor=actor, action="labelling_scheme.update", obj=scheme,
        changes={k: {"old": old[k], "new": new[k]} for k in new if old[k] != new[k]},
    )  # fmt: skip
    _changed()
    return scheme


@transaction.atomic
def scheme_retire(*, actor: Actor, scheme: LabellingScheme) -> LabellingScheme:
    """Stops reading a scheme's codes (packages already tracked keep their keys)."""
    require_regulator(actor)
    scheme = LabellingScheme.objects.select_for_update().get(pk=scheme.pk)
    if not scheme.is_active:
        raise Conflict("scheme_retired", _("This scheme is already retired."))
    scheme.is_active = False
    scheme.retired_at = timezone.now()
    scheme.version = F("version") + 1
    scheme.save()
    scheme.refresh_from_db()
    audit_record(actor=actor, action="labelling_scheme.retire", obj=scheme)
    _changed()
    return scheme


@transaction.atomic
def scheme_reactivate(*, actor: Actor, scheme: LabellingScheme) -> LabellingScheme:
    """Reads a retired scheme's codes again (validated against the schemes active now)."""
    require_regulator(actor)
    scheme = LabellingScheme.objects.select_for_update().get(pk=scheme.pk)
    if scheme.is_active:
        raise Conflict("scheme_active", _("This scheme is active."))
    _validate(scheme)
    scheme.is_active = True
    scheme.retired_at = None
    scheme.version = F("version") + 1
    scheme.save()
    scheme.refresh_from_db()
    audit_record(actor=actor, action="labelling_scheme.reactivate", obj=scheme)
    _changed()
    return scheme


@dataclass(frozen=True)
class MappingResult:
    added: int
    updated: int


@transaction.atomic
def scheme_products_import(*, actor: Actor, scheme: LabellingScheme, text: str) -> MappingResult:
    """Maps the scheme's product codes to registry products from CSV (`code,registration_number`
    or `code,gtin`, header first). All or nothing: any bad row refuses the whole file."""
    require_regulator(actor)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows or [c.strip().lower() for c in rows[0][:2]] not in (
        ["code", "registration_number"], ["code", "gtin"],
    ):  # fmt: skip
        raise ValidationFailed(
            "bad_csv_header", _("The first line must be: code,registration_number (or code,gtin).")
        )
    by_gtin = rows[0][1].strip().lower() == "gtin"
    body = [r for r in rows[1:] if any(c.strip() for c in r)]
    if len(body) > MAX_CSV_ROWS:
        raise ValidationFailed("too_many_rows", _("At most %(n)d rows per file.") % {"n": MAX_CSV_ROWS})
    spec = spec_of(scheme)
    errors: list[dict[str, Any]] = []
    wanted: dict[str, str] = {}
    for line, row in enumerate(body, start=2):
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            errors.append({"line": line, "code": "missing_value"})
            continue
        code, ref = row[0].strip(), row[1].strip()
        algorithm = spec.checks.get("product")
        if algorithm:
            from salamat.codes.checkdigit import check_is_valid

            if not check_is_valid(algorithm, code):
                errors.append({"line": line, "code": "bad_check_digit", "value": code})
                continue
        if "/" in code or len(code) > 64:
            errors.append({"line": line, "code": "bad_product_code", "value": code})
            continue
        wanted[code] = ref.zfill(14) if by_gtin else ref
    if by_gtin:
        from salamat.registry.models import ProductGtin

        found = dict(
            ProductGtin.objects.filter(gtin__in=set(wanted.values())).values_list("gtin", "product_id")
        )
    else:
        found = dict(
            Product.objects.filter(registration_number__in=set(wanted.values())).values_list(
                "registration_number", "id"
            )
        )
    for line, row in enumerate(body, start=2):
        code = row[0].strip() if row else ""
        if code in wanted and wanted[code] not in found:
            errors.append({"line": line, "code": "product_not_found", "value": row[1].strip()})
    if errors:
        raise ValidationFailed(
            "bad_csv_rows", _("%(n)d rows are wrong; nothing was imported.") % {"n": len(errors)},
            details={"rows": errors[:100]},
        )  # fmt: skip
    existing = {m.code: m for m in SchemeProductCode.objects.filter(scheme=scheme, code__in=list(wanted))}
    added = updated = 0
    new_rows = []
    for code, ref in wanted.items():
        product_id = found[ref]
        row = existing.get(code)
        if row is None:
            new_rows.append(SchemeProductCode(scheme=scheme, code=code, product_id=product_id))
            added += 1
        elif row.product_id != product_id:
            row.product_id = product_id
            row.save(update_fields=["product"])
            updated += 1
    SchemeProductCode.objects.bulk_create(new_rows, batch_size=1000)
    LabellingScheme.objects.filter(pk=scheme.pk).update(version=F("version") + 1, updated_at=timezone.now())
    audit_record(
        actor=actor,
        action="labelling_scheme.products_import",
        obj=scheme,
        changes={"added": added, "updated": updated},
    )
    _changed()
    return MappingResult(added=added, updated=updated)


def scheme_try(*, scheme: LabellingScheme | None = None, code: str) -> ParsedCode | CodeError:
    """What `code` parses to: with the active schemes, or with `scheme` (saved or not) on top
    of them (its product map as stored)."""
    if scheme is None:
        try:
            return parse(code)
        except CodeError as exc:
            return exc
    try:
        spec = spec_of(scheme, product_refs([scheme.pk]).get(scheme.pk, {}) if scheme.pk else {})
    except SchemeDefinitionError as exc:
        return CodeError(exc.code, _scheme_message(exc.code, exc.message), raw=code)
    schemes = SchemeSet([spec, *(s for s in load() if s.name != scheme.code)], validated=True)
    try:
        return parse(code, schemes=schemes)
    except CodeError as exc:
        return exc


def scheme_get(*, code: str) -> LabellingScheme:
    scheme = LabellingScheme.objects.filter(code=code).first()
    if scheme is None:
        raise NotFound("scheme_not_found", _("No labelling scheme with this code."))
    return scheme


def _snapshot(scheme: LabellingScheme) -> dict[str, Any]:
    return {name: getattr(scheme, name) for name in ("code", *EDITABLE, "is_active")}
