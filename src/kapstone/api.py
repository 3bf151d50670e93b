"""The typed JSON API (django-ninja), mounted at /api/ with the URL namespace ``api``.

Authentication is the Django session of a signed-in staff member (the same sign-in, second factor
and session limits as the pages); portal clients and anonymous callers get 401. CSRF is enforced
for unsafe methods (send the ``X-CSRFToken`` header, as htmx does). Authorization goes through the
same policy and scoped selectors as the pages: a client that is missing or not yours is a 404.

FHIR endpoints (URL names starting ``fhir_``) answer errors with an OperationOutcome in
``application/fhir+json``; every other 4xx is one body, ``ErrorOut``:
``{"detail": str, "errors": [{"field", "reason", "code"}]}`` (some statuses add fields, e.g. a 412
carries the saved note). The schema is served at /api/openapi.json to signed-in staff; it declares
every status an operation can answer (``KapstoneAPI.get_openapi_schema`` adds the ones every
operation shares: 400 for a body that is not JSON, 401, 403 for a write without its CSRF token, 404
on a path naming an object, 422 for input that does not validate). There is no Swagger page (it
would load scripts from a CDN, which the Content-Security-Policy forbids).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security.apikey import APIKeyCookie

from kapstone.core.contract import ErrorOut, ServiceError
from kapstone.measures.api import fhir_router, router
from kapstone.measures.fhir import FHIR_JSON, Issue, operation_outcome
from kapstone.notes.api import router as notes_router

UNAUTHORIZED = "Sign in as a staff member to use the API."


class StaffSession(APIKeyCookie):
    """The Django session of a signed-in staff member; ``request.auth`` is their ``Actor``."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        # Nobody signed in: there is nothing for a forged request to ride on, so answer 401
        # (not a CSRF 403). A signed-in person's unsafe request must pass the CSRF check.
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = request.user
        if user.is_authenticated and getattr(user, "is_staff_member", False):
            return request.actor  # type: ignore[attr-defined]
        return None


def staff_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For the schema: the same rule as the endpoints (staff session), answered as JSON 401."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not (user.is_authenticated and getattr(user, "is_staff_member", False)):
            return HttpResponse(
                json.dumps({"detail": UNAUTHORIZED}), status=401, content_type="application/json"
            )
        return view(request, *args, **kwargs)

    return wrapper


_UNSAFE = {"post", "put", "patch", "delete"}
_SHARED = {
    400: "The body is not JSON",
    401: "Not signed in as a staff member",
    403: "A write without its CSRF token (send X-CSRFToken)",
    404: "Not found, or not yours (the same answer; the denial is audited)",
    422: "The request does not parse: each problem names its field",
}


class KapstoneAPI(NinjaAPI):
    """The schema declares the statuses every operation shares, so it tells the whole truth."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: Any = None) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        error = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(error.pop("$defs", {}))
        components.setdefault("ErrorOut", error)
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                _declare_shared(path, method, operation)
        return schema


def _declare_shared(path: str, method: str, operation: dict[str, Any]) -> None:
    fhir = "/api/fhir/" in path
    body = (
        {FHIR_JSON: {"schema": {"type": "object", "additionalProperties": True}}}
        if fhir
        else {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
    )
    statuses = [401] if operation.get("security") else []
    if method in _UNSAFE and operation.get("security"):
        statuses.append(403)
    if operation.get("requestBody"):
        statuses.append(400)
    if "{" in path:
        statuses.append(404)
    if operation.get("parameters") or operation.get("requestBody"):
        statuses.append(422)
    responses = operation.setdefault("responses", {})
    for status in statuses:
        responses.setdefault(status, {"description": _SHARED[status], "content": body})
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "header" and parameter.get("name") == "If-Match":
            parameter["required"] = True  # 428 without it (declared by the operation)


api = KapstoneAPI(
    title="Kapstone API",
    version="1",
    description=__doc__,
    urls_namespace="api",
    auth=StaffSession(),
    docs_url=None,
    docs_decorator=staff_only,
)


def is_fhir(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    return bool(match and (match.url_name or "").startswith("fhir_"))


def fhir_response(resource: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(resource), status=status, content_type=FHIR_JSON)


def error_response(
    request: HttpRequest, status: int, message: str, *, code: str, data: Any = None
) -> HttpResponse:
    if is_fhir(request):
        return fhir_response(operation_outcome([Issue(message, code=code)]), status)
    body = data if data is not None else {"detail": message, "errors": []}
    return api.create_response(request, body, status=status)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc, AuthenticationError):
        return error_response(request, 401, UNAUTHORIZED, code="login")
    code = {403: "forbidden", 404: "not-found", 405: "not-supported"}.get(exc.status_code, "processing")
    return error_response(request, exc.status_code, str(exc.message), code=code)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "Not found.", code="not-found")


@api.exception_handler(ServiceError)
def _refused(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    code = "conflict" if exc.status == 409 else "invalid"
    return error_response(request, exc.status, str(exc), code=code, data=exc.payload())


def _field(location: Any) -> str:
    """``("body", "payload", "answers", "phq9_1")`` -> ``answers.phq9_1``; a parameter by its name."""
    parts = [str(p) for p in (location or ())]
    if parts and parts[0] == "body":
        parts = parts[2:] if len(parts) > 1 and parts[1] == "payload" else parts[1:]
    elif parts and parts[0] in {"query", "path", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts)


@api.exception_handler(NinjaValidationError)
def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = [
        {
            "field": _field(e.get("loc")),
            "reason": str(e.get("msg", "not valid")),
            "code": str(e.get("type", "invalid")),
        }
        for e in exc.errors
    ]
    message = "The request is not valid: " + "; ".join(
        f"{e['field'] or 'body'}: {e['reason']}" for e in errors[:5]
    )
    return error_response(request, 422, message, code="invalid", data={"detail": message, "errors": errors})


def _register() -> None:
    api.add_router("/", router)
    api.add_router("/fhir/", fhir_router)
    api.add_router("/", notes_router)


_register()

# ``path("api/", include("kapstone.api"))`` in kapstone/urls.py mounts these under the namespace "api".
app_name = "api"
urlpatterns = api.urls[0]
