"""The service contract: the three ways a service says no, and how each reaches a person.

Services take keyword-only, typed arguments and either return what they made or raise one of:

- ``Refused``  the input cannot be accepted (400/422): the reason, in words, and the field it is
  about. The view re-renders the same bound form, so nothing the person typed is lost.
- ``Stale``    the record changed since the person read it (409): both versions are carried so the
  page can show what is there now beside what they sent. Never a silent overwrite.
- ``NotYours`` not found, or not the actor's to reach (404): raised only after the denial has been
  audited (``kapstone.access.scoping.scoped_get`` does both), and indistinguishable from "not found".

``ServiceErrorMiddleware`` turns any of them that a view did not handle itself into a response in
one place: an HTML page, an htmx fragment, or (under /api/) the API's JSON error body. Every 4xx of
the JSON API is that one body, ``ErrorOut``: ``{"detail": str, "errors": [{"field", "reason",
"code"}]}`` (a ``Stale`` adds both versions); ``error_payload`` and ``validation_payload`` build it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from ninja import Schema
from pydantic import Field


class ServiceError(Exception):
    """A service's refusal that a person should see; never a 500."""

    status: int = 400

    def payload(self) -> dict[str, Any]:
        return {"detail": str(self), "errors": []}


class Refused(ServiceError):
    """The input cannot be accepted. ``field`` names the form field it is about ('' for the whole form)."""

    status = 422

    def __init__(self, reason: str, *, field: str = "", code: str = "refused") -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field
        self.code = code

    def payload(self) -> dict[str, Any]:
        return {
            "detail": self.reason,
            "errors": [{"field": self.field, "reason": self.reason, "code": self.code}],
        }

    def as_validation_error(self) -> ValidationError:
        """For forms: ``kapstone.core.forms.add_service_errors(form, exc.as_validation_error())``."""
        if self.field:
            return ValidationError({self.field: [self.reason]})
        return ValidationError(self.reason)


class Stale(ServiceError):
    """The record moved on since it was read: refuse, and carry both versions."""

    status = 409

    def __init__(
        self,
        *,
        current_version: int,
        submitted_version: int | None,
        current: object = None,
        message: str = "",
    ) -> None:
        super().__init__(
            message
            or f"Someone saved a newer version ({current_version}) after you opened version "
            f"{submitted_version}. Your text is kept below; compare it with what is there now."
        )
        self.current_version = current_version
        self.submitted_version = submitted_version
        self.current = current

    def payload(self) -> dict[str, Any]:
        return {
            "detail": str(self),
            "errors": [],
            "current_version": self.current_version,
            "submitted_version": self.submitted_version,
        }


class NotYours(Http404):
    """Not found or not the actor's: the same 404. Raise only after the denial is audited."""

    status = 404


def check_version(*, current: int, submitted: int | None, record: object = None) -> None:
    """Refuse a write that names a version other than the stored one (a missing version is stale too)."""
    if submitted is None or int(submitted) != int(current):
        raise Stale(current_version=current, submitted_version=submitted, current=record)


@dataclass(frozen=True)
class ErrorBody:
    """One error body for every 4xx of the API: ``{"detail": str, "errors": [{field, reason, code}]}``."""

    detail: str
    errors: tuple[Mapping[str, str], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"detail": self.detail, "errors": [dict(e) for e in self.errors]}


def error_payload(exc: ServiceError | Http404) -> dict[str, Any]:
    if isinstance(exc, ServiceError):
        return exc.payload()
    return ErrorBody("Not found.", ({"field": "", "reason": "Not found.", "code": "not-found"},)).as_dict()


def validation_payload(exc: ValidationError, *, detail: str = "Nothing was saved.") -> dict[str, Any]:
    """A Django ``ValidationError`` as the one error body: one entry per message, with its field
    ('' for the whole input, where Django says ``__all__``)."""
    by_field = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
    errors = tuple(
        {"field": "" if field == NON_FIELD_ERRORS else field, "reason": message, "code": "invalid"}
        for field, messages in by_field.items()
        for message in messages
    )
    return ErrorBody(detail, errors).as_dict()


# --- the API's declared error bodies (django-ninja schemas; OpenAPI components) ----------------------


class FieldError(Schema):
    field: str = Field(
        description="the input it is about: a body field, parameter or header; '' for the whole"
    )
    reason: str = Field(description="what is wrong, in words")
    code: str = Field(description="a short machine word: refused, invalid, missing, not-found, …")


class ErrorOut(Schema):
    """Every 4xx of the JSON API (FHIR endpoints answer an OperationOutcome instead)."""

    detail: str = Field(description="what happened, in one sentence")
    errors: list[FieldError] = Field(default_factory=list, description="one entry per problem with the input")


class StaleOut(ErrorOut):
    current_version: int
    submitted_version: int | None = None


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")


_API_PLAIN = {  # what Django answers under /api/ where no API operation does, in the API's words
    404: "Not found.",
    405: "This method is not allowed here; the Allow header names the ones that are.",
}


def _api_plain_error(request: HttpRequest, response: HttpResponse) -> bool:
    return (
        request.path.startswith("/api/")
        and response.status_code in _API_PLAIN
        and not response.streaming
        and "json" not in response.get("Content-Type", "")
    )


class ServiceErrorMiddleware:
    """Turn a ``Refused`` or ``Stale`` that no view handled into a response, the same for every page;
    under /api/, Django's own 404 page and 405 answer become the API's one error body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if _api_plain_error(request, response):
            # Only the body changes: the status, Allow and the request id stay (the 404 is audited).
            response.content = json.dumps(ErrorBody(_API_PLAIN[response.status_code]).as_dict())
            response["Content-Type"] = "application/json"
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ServiceError):
            return None  # NotYours is an Http404: Django's handler404 answers it.
        if _wants_json(request):
            return JsonResponse(exception.payload(), status=exception.status)
        htmx = bool(getattr(request, "htmx", False))
        template = "core/_service_error.html" if htmx else "core/service_error.html"
        html = render_to_string(template, {"error": exception}, request=request)
        response = HttpResponse(html, status=exception.status)
        if htmx:
            # An htmx swap of an error fragment goes to the page's alert region, not over the form.
            response["HX-Retarget"] = "#service-error"
            response["HX-Reswap"] = "innerHTML"
        return response
