"""Resource library pages: search, share, a resource, its download."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from kapstone.access.decorators import requires
from kapstone.audit.services import record
from kapstone.community import library as svc
from kapstone.community.forms import ResourceForm
from kapstone.community.models import ResourceFile
from kapstone.community.models.library import EVIDENCE_LEVELS
from kapstone.core.contract import NotYours, Refused
from kapstone.core.http import AuthenticatedRequest


@requires("library.view")
@require_GET
def library(request: AuthenticatedRequest) -> HttpResponse:
    q, tag, evidence = (request.GET.get(k, "")[:100] for k in ("q", "tag", "evidence"))
    evidence = evidence if evidence in dict(EVIDENCE_LEVELS) else ""
    rows = svc.library_search(request.actor, q=q, tag=tag, evidence=evidence)
    context = {"rows": rows, "q": q, "tag": tag, "evidence": evidence, "levels": EVIDENCE_LEVELS}
    return render(request, "community/library.html", context)


@requires("library.share")
@require_http_methods(["GET", "POST"])
def resource_new(request: AuthenticatedRequest) -> HttpResponse:
    form = ResourceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        try:
            resource = svc.resource_share(
                request.actor,
                title=data["title"],
                description=data["description"],
                url=data["url"],
                tags=data["tags"].split(","),
                evidence_level=data["evidence_level"],
                visibility=data["visibility"],
                filename=upload.name if upload else "",
                data=upload.read(svc.max_bytes() + 1) if upload else None,
            )
        except Refused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.reason)
        else:
            return redirect("community:resource", pk=resource.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "community/resource_form.html", {"form": form}, status=status)


@requires("library.view")
@require_GET
def resource(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return render(request, "community/resource.html", {"resource": svc.resource_get(request.actor, pk)})


@requires("library.view")
@require_GET
def resource_download(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    found = svc.resource_get(request.actor, pk)
    stored = ResourceFile.objects.filter(resource=found).first()
    if stored is None:
        raise NotYours
    record(
        request.actor, "library.view", object_type="resource", object_id=found.pk, detail={"download": True}
    )
    response = HttpResponse(bytes(stored.data), content_type=found.content_type)
    response["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
