"""The typed JSON API (django-ninja), mounted at /api/ with the URL namespace ``api``.

Authentication is the Django session of a signed-in staff member (the same sign-in, second factor
and session limits as the pages); portal clients and anonymous callers get 401. CSRF is enforced
for unsafe methods (send the ``X-CSRFToken`` header, as htmx does). Authorization goes through the
same policy and scoped selectors as the pages: a client that is missing or not yours is a 404.

FHIR endpoints (URL names starting ``fhir_``) answer errors with an OperationOutcome in
``application/fhir+json``; the others answer ``{"detail": ...}``. The schema is served at
/api/openapi.json to signed-in staff; there is no Swagger page (it would load scripts from a CDN,
which the Content-Security-Policy forbids).
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

from kapstone.core.contract import ServiceError
from kapstone.measures.fhir import FHIR_JSON, Issue, operation_outcome

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


api = NinjaAPI(
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
    return api.create_response(request, data if data is not None else {"detail": message}, status=status)


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


@api.exception_handler(NinjaValidationError)
def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return error_response(
        request, 422, "The request is not valid.", code="invalid", data={"detail": exc.errors}
    )


def _register() -> None:
    from kapstone.measures.api import fhir_router, router
    from kapstone.notes.api import router as notes_router

    api.add_router("/", router)
    api.add_router("/fhir/", fhir_router)
    api.add_router("/", notes_router)


_register()

# ``path("api/", include("kapstone.api"))`` in kapstone/urls.py mounts these under the namespace "api".
app_name = "api"
urlpatterns = api.urls[0]
