"""Refusals shown as pages: one template, the status code of the domain error."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from salamat.core.errors import DomainError


def error_page(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """The page for a refused request, with the error's status and its translated message."""
    return render(request, "web/error.html", {"error": exc}, status=exc.status_code)
