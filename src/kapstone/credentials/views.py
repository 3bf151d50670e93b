"""Certificate pages. Public: the verification page (holder, program, issue date, status and
nothing else), the DID document and the status list. Signed in: a trainee's own certificates; a
supervisor's sign-off; the admin's and supervisor's status changes."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapstone.access.decorators import public, requires
from kapstone.accounts.models import Organization
from kapstone.audit.services import record
from kapstone.core.http import AuthenticatedRequest
from kapstone.credentials import keys, services
from kapstone.credentials.models import Credential, IssuerKey
from kapstone.credentials.pdf import certificate_pdf

JSON_LD = "application/ld+json"


@public
@require_http_methods(["GET", "POST"])
def verify_lookup(request: HttpRequest) -> HttpResponse:
    code = (request.POST.get("code") or request.GET.get("code") or "").strip().upper()
    if code:
        return redirect("verify:credential", code=code)
    return render(request, "credentials/verify_lookup.html")


@public
@require_GET
def verify_page(request: HttpRequest, code: str) -> HttpResponse:
    credential = Credential.objects.select_related("holder").filter(code=code.upper()).first()
    if credential is None:
        return render(request, "credentials/verify.html", {"code": code}, status=404)
    organization = Organization.objects.get(pk=credential.organization_id)
    return render(request, "credentials/verify.html", {"credential": credential, "issuer": organization.name})


@public
@require_GET
@cache_control(max_age=300, public=True)
def did_json(request: HttpRequest) -> HttpResponse:
    return JsonResponse(keys.did_document(), content_type="application/did+json")


@public
@require_GET
@cache_control(max_age=300, public=True)
def status_list(request: HttpRequest, slug: str) -> HttpResponse:
    organization = get_object_or_404(Organization, slug=slug)
    if not IssuerKey.objects.filter(organization=organization).exists():
        raise Http404  # nothing issued yet, so no list (and a public GET never makes a key)
    return JsonResponse(
        services.status_list_document(organization.pk, organization.slug), content_type=JSON_LD
    )


@requires("credential.own")
@require_GET
def mine(request: AuthenticatedRequest) -> HttpResponse:
    found = list(
        Credential.objects.filter(organization_id=request.actor.organization_id or -1, holder=request.user)
    )
    record(request.actor, "credential.list", object_type="credential", detail={"count": len(found)})
    return render(request, "credentials/mine.html", {"credentials": found})


def _own_or_managed(request: AuthenticatedRequest, code: str) -> Credential:
    return services.credential_get(request.actor, code, action="credential.view")


@requires("credential.view")
@require_GET
def download(request: AuthenticatedRequest, code: str) -> HttpResponse:
    credential = _own_or_managed(request, code)
    body = json.dumps(credential.document, indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type=JSON_LD)
    response["Content-Disposition"] = f'attachment; filename="{credential.code}.json"'
    return response


@requires("credential.view")
@require_GET
def pdf(request: AuthenticatedRequest, code: str) -> HttpResponse:
    credential = _own_or_managed(request, code)
    issuer = Organization.objects.get(pk=credential.organization_id).name
    body = certificate_pdf(credential, issuer_name=issuer, verify_url=services.verify_url(credential.code))
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{credential.code}.pdf"'
    return response


@requires("credential.issue")
@require_POST
def issue(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    credential = services.credential_issue(
        request.actor, trainee_id=pk, set_id=request.POST.get("set_id", "")
    )
    messages.success(request, f"Certificate {credential.code} issued to {credential.holder.full_name}.")
    return redirect("credentials:manage")


@requires("credential.manage")
@require_GET
def manage(request: AuthenticatedRequest) -> HttpResponse:
    found = list(
        Credential.objects.filter(organization_id=request.actor.organization_id or -1).select_related(
            "holder"
        )[:500]
    )
    record(request.actor, "credential.list", object_type="credential", detail={"count": len(found)})
    return render(request, "credentials/manage.html", {"credentials": found})


@requires("credential.manage")
@require_POST
def set_status(request: AuthenticatedRequest, code: str) -> HttpResponse:
    credential = services.credential_set_status(
        request.actor, code=code, status=request.POST.get("status", ""), reason=request.POST.get("reason", "")
    )
    messages.success(
        request, f"Certificate {credential.code} is now {credential.get_status_display().lower()}."
    )
    return redirect("credentials:manage")
