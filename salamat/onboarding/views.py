"""Onboarding web pages: the applicant's wizard and the reviewer's queue and review page.

Thin: every change goes through `services`; a refusal is shown as a message with its text."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import select_template
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from salamat.accounts.oidc import esi_organizations
from salamat.accounts.selectors import actor_for_request
from salamat.core.context import current as request_context
from salamat.core.errors import DomainError, NotFound, PermissionDenied
from salamat.onboarding import selectors, services, states
from salamat.onboarding.forms import (
    ApplicationForm,
    CommentForm,
    DocumentForm,
    OfferAcceptForm,
    StaffInviteForm,
    StartForm,
)
from salamat.onboarding.models import Application, ApplicationDocument, DocumentKind, OnboardingPhase
from salamat.registry.models import Organization
from salamat.signatures import standin_ca
from salamat.signatures.crypto import canonical_bytes, sign


def _base_template() -> str:
    # The platform layout ("base.html") is being built in parallel; until it lands the pages
    # render inside a minimal fallback with the same blocks.
    return select_template(["base.html", "onboarding/_fallback_base.html"]).template.name


def _render(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    return render(request, template, {"base_template": _base_template(), **context}, status=status)


def _refusal(request: HttpRequest, exc: DomainError) -> None:
    messages.error(request, exc.message)
    fields = exc.details.get("fields") if isinstance(exc.details, dict) else None
    for field in fields or []:
        if not (isinstance(field, dict) and field.get("message") and field.get("field")):
            continue
        if field["message"] == exc.message:
            continue  # the same words once are enough
        messages.error(request, f"{_field_label(field['field'])}: {field['message']}")


def _field_label(name: str) -> str:
    """The form's label of a field named in an error, as the person saw it."""
    try:
        return capfirst(Application._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def _not_found_as_404(view):
    """A `NotFound` refusal as the 404 page; a `PermissionDenied` one as a 403 page saying why."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except PermissionDenied as exc:
            return _render(request, "onboarding/refused.html", {"message": exc.message}, status=403)

    return wrapper


# What a person typed into the form when their session had already ended: kept in the
# new (anonymous) session, which the login carries over, and offered back afterwards.
UNSAVED_INPUT_KEY = "onboarding_unsaved_input"
_UNSAVED_MAX_CHARS = 2000


def login_required_keeping_input(view):
    """`login_required`, but a form posted after the session expired is not lost: the
    fields are kept for the page at `request.path` until the person logs in again."""
    protected = login_required(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method == "POST" and not request.user.is_authenticated:
            request.session[UNSAVED_INPUT_KEY] = {
                "path": request.path,
                "data": {
                    name: [value[:_UNSAVED_MAX_CHARS] for value in request.POST.getlist(name)]
                    for name in services.EDITABLE_FIELDS
                    if name in request.POST
                },
            }
        return protected(request, *args, **kwargs)

    return wrapper


def _unsaved_input(request: HttpRequest) -> QueryDict | None:
    """The input kept for this page by `login_required_keeping_input`, once."""
    kept = request.session.get(UNSAVED_INPUT_KEY)
    if not kept or kept.get("path") != request.path:
        return None
    del request.session[UNSAVED_INPUT_KEY]
    data = QueryDict(mutable=True)
    for name, values in kept.get("data", {}).items():
        data.setlist(name, values)
    return data


def _mine(request: HttpRequest, application_id) -> Application:
    return selectors.application_for_applicant(request.user, application_id)


# --- applicant ------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """My applications and the start of a new one."""
    organizations = esi_organizations(request)
    form = StartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            app = services.application_start(
                actor=actor_for_request(request),
                tax_id=form.cleaned_data["tax_id"],
                esi_organizations=organizations,
            )
        except DomainError as exc:
            _refusal(request, exc)
        else:
            return redirect("onboarding:form", application_id=app.external_id)
    return _render(
        request,
        "onboarding/home.html",
        {
            "applications": selectors.applications_of(request.user),
            "organizations": organizations,
            "form": form,
            "is_reviewer": services.is_reviewer(request.user),
        },
    )


@login_required
@_not_found_as_404
def application_status(request: HttpRequest, application_id) -> HttpResponse:
    """Where the application is and what to fix."""
    app = _mine(request, application_id)
    acceptance = app.acceptances.select_related("offer_version").order_by("-accepted_at", "-pk").first()
    current = services.offer_current()
    return _render(
        request,
        "onboarding/status.html",
        {
            "app": app,
            "steps": _steps(app),
            "missing": [DocumentKind(k).label for k in services.missing_document_kinds(app)],
            "acceptance": acceptance,
            "offer_stale": bool(acceptance and current and acceptance.offer_version_id != current.pk),
            "checks": app.checklist.all(),
            "events": app.events.all(),
            "last_comment": app.events.exclude(comment="")
            .filter(action__in=["request_changes", "reject"])
            .last(),
        },
    )


def _steps(app: Application) -> list[dict]:
    return [
        {"name": _("Organisation"), "url": "onboarding:form"},
        {"name": _("Documents"), "url": "onboarding:documents"},
        {"name": _("Public offer"), "url": "onboarding:offer"},
        {"name": _("Submit"), "url": "onboarding:status"},
    ]


@login_required_keeping_input
@_not_found_as_404
def application_form(request: HttpRequest, application_id) -> HttpResponse:
    app = _mine(request, application_id)
    kept = _unsaved_input(request) if request.method == "GET" else None
    if kept is not None:
        messages.warning(
            request, _("Your session had ended before this was saved: check what you typed and save it.")
        )
    form = ApplicationForm(request.POST or kept, instance=Application.objects.get(pk=app.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.application_update(
                actor=actor_for_request(request),
                application=app,
                **{name: form.cleaned_data[name] for name in form.Meta.fields},
            )
        except DomainError as exc:
            _refusal(request, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("onboarding:documents", application_id=app.external_id)
    return _render(
        request, "onboarding/form.html", {"app": app, "form": form, "steps": _steps(app), "step": 1}
    )


@login_required
@_not_found_as_404
def application_documents(request: HttpRequest, application_id) -> HttpResponse:
    app = _mine(request, application_id)
    form = DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.document_upload(
                    actor=actor_for_request(request),
                    application=app,
                    kind=form.cleaned_data["kind"],
                    upload=form.cleaned_data["file"],
                )
            except DomainError as exc:
                _refusal(request, exc)
            else:
                messages.success(request, _("Document uploaded."))
                return redirect("onboarding:documents", application_id=app.external_id)
        else:
            messages.error(request, _("Choose a kind of document and a file."))
    return _render(
        request,
        "onboarding/documents.html",
        {
            "app": app,
            "form": form,
            "documents": app.documents.all(),
            "missing": [DocumentKind(k).label for k in services.missing_document_kinds(app)],
            "steps": _steps(app),
            "step": 2,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
@_not_found_as_404
def document_delete(request: HttpRequest, application_id, document_id) -> HttpResponse:
    app = _mine(request, application_id)
    doc = get_object_or_404(ApplicationDocument, application=app, external_id=document_id)
    try:
        services.document_delete(actor=actor_for_request(request), document=doc)
    except DomainError as exc:
        _refusal(request, exc)
    return redirect("onboarding:documents", application_id=app.external_id)


@login_required
@_not_found_as_404
def application_offer(request: HttpRequest, application_id) -> HttpResponse:
    app = _mine(request, application_id)
    offer = services.offer_current()
    if offer is None:
        raise Http404(_("No public offer has been published yet."))
    phase = services.current_phase()
    form = OfferAcceptForm(request.POST or None, initial={"version": offer.version})
    standin_signing = settings.DEV_MODE and phase == OnboardingPhase.AUTOMATED
    if request.method == "POST" and form.is_valid():
        signature = form.cleaned_data["signature"].strip()
        certificate_pem = form.cleaned_data["certificate_pem"].strip()
        if standin_signing and request.POST.get("standin_sign"):
            signature, certificate_pem = _standin_signature(request, app, offer)
        try:
            services.offer_accept(
                actor=actor_for_request(request),
                application=app,
                version=form.cleaned_data["version"],
                ip=request_context().ip,
                signature=signature,
                certificate_pem=certificate_pem,
            )
        except DomainError as exc:
            _refusal(request, exc)
        else:
            messages.success(request, _("You accepted the public offer."))
            return redirect("onboarding:status", application_id=app.external_id)
    record = services.offer_acceptance_record(app, offer, request.user.pin or "")

    return _render(
        request,
        "onboarding/offer.html",
        {
            "app": app,
            "offer": offer,
            "offer_text": offer.text_for(translation.get_language()),
            "form": form,
            "phase2": phase == OnboardingPhase.AUTOMATED,
            "standin_signing": standin_signing,
            "record_json": canonical_bytes(record).decode("utf-8"),
            "steps": _steps(app),
            "step": 3,
        },
    )


def _standin_signature(request: HttpRequest, app: Application, offer) -> tuple[str, str]:
    """Development only: what a person's signing tool would produce — a stand-in CA
    certificate for their PIN and the acceptance record signed with its key."""

    user = request.user
    cert = standin_ca.issue_personal_certificate(user.pin or "", user.full_name or user.username)
    record = services.offer_acceptance_record(app, offer, user.pin or "")
    return sign(record, cert.private_key), cert.certificate_pem


@login_required
@require_POST
@_not_found_as_404
def application_submit(request: HttpRequest, application_id) -> HttpResponse:
    app = _mine(request, application_id)
    try:
        app = services.application_submit(actor=actor_for_request(request), application=app)
    except DomainError as exc:
        _refusal(request, exc)
    else:
        if app.status == states.APPROVED:
            messages.success(request, _("All checks passed: your clinic is approved."))
        else:
            messages.success(request, _("Your application was submitted."))
    return redirect("onboarding:status", application_id=app.external_id)


@login_required
@require_POST
@_not_found_as_404
def credentials_issue(request: HttpRequest, application_id) -> HttpResponse:
    app = _mine(request, application_id)
    try:
        client, token = services.application_credentials_issue(
            actor=actor_for_request(request), application=app
        )
    except DomainError as exc:
        _refusal(request, exc)
        return redirect("onboarding:status", application_id=app.external_id)
    response = _render(request, "onboarding/credentials.html", {"app": app, "client": client, "token": token})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@_not_found_as_404
def staff(request: HttpRequest, organization_id) -> HttpResponse:
    organization = get_object_or_404(Organization, external_id=organization_id)
    form = StaffInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.staff_invite(
                actor=actor_for_request(request), organization=organization, **form.cleaned_data
            )
        except DomainError as exc:
            _refusal(request, exc)
        else:
            messages.success(
                request,
                _("Role given.")
                if invitation.membership
                else _("Role will be given when the person logs in through ESI."),
            )
            return redirect("onboarding:staff", organization_id=organization.external_id)
    elif (
        request.method == "GET"
        and not organization.memberships.filter(user=request.user, role="org_admin", is_active=True).exists()
    ):
        raise Http404
    return _render(
        request,
        "onboarding/staff.html",
        {
            "organization": organization,
            "form": form,
            "members": organization.memberships.filter(is_active=True).select_related("user"),
            "pending": organization.pending_memberships.filter(linked_user__isnull=True),
        },
    )


@login_required
@xframe_options_sameorigin
@_not_found_as_404
def document_download(request: HttpRequest, document_id) -> FileResponse:
    """Serves a document to its applicant or to a reviewer, never to anyone else."""
    doc = selectors.document_for(request.user, document_id)
    try:
        handle = services.storage().open(doc.storage_name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=doc.content_type)
    response["Content-Disposition"] = "inline"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'; object-src 'self'"
    response["Cache-Control"] = "private, no-store"
    return response


# --- reviewer -------------------------------------------------------------------------


def reviewer_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not services.is_reviewer(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@reviewer_required
def review_queue(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    claim = esi_organizations(request)
    queue = [
        {
            "app": app,
            "waiting": now - app.queued_at if app.queued_at else None,
            "failed": [c for c in app.checklist.all() if c.outcome != "ok"],
            "conflict": services.has_conflict_of_interest(request.user, app, claim),
        }
        for app in selectors.review_queue().prefetch_related("checklist")
    ]
    return _render(
        request,
        "onboarding/review_queue.html",
        {"queue": queue, "mine": selectors.reviews_in_progress(request.user)},
    )


@reviewer_required
@_not_found_as_404
def review_detail(request: HttpRequest, application_id) -> HttpResponse:
    app = selectors.application_for_reviewer(request.user, application_id, esi_organizations(request))
    return _render(
        request,
        "onboarding/review_detail.html",
        {
            "app": app,
            "documents": app.documents.all(),
            "checks": app.checklist.all(),
            "events": app.events.all(),
            "missing": [DocumentKind(k).label for k in services.missing_document_kinds(app)],
            "acceptance": app.acceptances.select_related("offer_version", "signed_record").first(),
            "form": CommentForm(),
            "can_take": app.status in states.WAITING_FOR_REVIEW,
            "can_decide": app.status == states.IN_REVIEW and app.reviewer_id == request.user.pk,
        },
    )


@reviewer_required
@require_POST
@_not_found_as_404
def review_action(request: HttpRequest, application_id, action: str) -> HttpResponse:
    app = selectors.application_for_reviewer(request.user, application_id, esi_organizations(request))
    actor = actor_for_request(request)
    comment = CommentForm(request.POST).data.get("comment", "")
    claim = esi_organizations(request)
    try:
        if action == "take":
            services.review_take(actor=actor, application=app, esi_organizations=claim)
        elif action == "approve":
            services.review_approve(actor=actor, application=app, comment=comment, esi_organizations=claim)
        elif action == "reject":
            services.review_reject(actor=actor, application=app, reason=comment, esi_organizations=claim)
        elif action == "request_changes":
            services.review_request_changes(
                actor=actor, application=app, comment=comment, esi_organizations=claim
            )
        else:
            raise Http404
    except DomainError as exc:
        _refusal(request, exc)
    else:
        messages.success(request, _("Done."))
    return redirect("onboarding:review_detail", application_id=app.external_id)
