"""Directory and referral pages. Thin: selectors read, services write, ``Refused`` keeps the form."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kapstone.access.decorators import public, requires
from kapstone.access.scoping import scoped_get
from kapstone.clients.selectors import clients_scoped
from kapstone.community import directory_selectors as sel
from kapstone.community import directory_services as svc
from kapstone.community.forms import AttestForm, DecideForm, ListingForm, ReferralForm
from kapstone.community.hooks import CredentialClaim
from kapstone.community.models import Listing
from kapstone.community.vocab import MODALITIES, ROUTES, US_STATES
from kapstone.core.contract import Refused
from kapstone.core.http import AuthenticatedRequest

YES_NO = (("yes", "Yes"), ("no", "No"))


@lru_cache(maxsize=512)
def _options(choices: tuple[tuple[str, str], ...], selected: str) -> SafeString:
    """A filter's ``<option>``s, "Any" first, as HTML escaped once per list and choice and kept: the
    template's loop over ~60 options cost more than the search. ``selected`` is a checked filter
    value (a code of ``choices`` or ""), so the cache holds at most one entry per option."""
    marked = (("", "Any"), *choices)
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((c, " selected" if c and c == selected else "", label) for c, label in marked),
    )


def _result(listing: Listing, certificate: CredentialClaim | None) -> dict[str, object]:
    """One search result as the plain values its row shows (a dict: the template's cheapest lookup)."""
    return {
        "pk": listing.pk,
        "name": listing.display_name,
        "credentials": listing.credentials_text,
        "kind": listing.get_kind_display(),
        "place": f"{listing.city}, {listing.state}" if listing.city else listing.state,
        "certificate": certificate.title if certificate else "",
        "licence": f"{listing.licence_type}, {listing.licence_state}" if listing.licence_attested else "",
        "telehealth": listing.telehealth,
        "accepting": listing.accepting,
    }


def _yes_no(value: bool | None) -> str:
    return "" if value is None else "yes" if value else "no"


def _page_link(filters: sel.DirectoryFilters, page: int) -> str:
    """Another page of the same search: every filter the person chose (as checked), kept."""
    chosen = {
        "q": filters.q,
        "state": filters.state,
        "route": filters.route,
        "modality": filters.modality,
        "telehealth": _yes_no(filters.telehealth),
        "accepting": _yes_no(filters.accepting),
    }
    return "?" + urlencode({**{key: value for key, value in chosen.items() if value}, "page": page})


@public
@require_GET
def directory_search(request: HttpRequest) -> HttpResponse:
    filters = sel.parse_filters(request.GET)
    listings, has_next = sel.directory_search(filters)
    rows = [_result(listing, sel.verified_certificate(listing)) for listing in listings]
    context = {
        "filters": filters,
        "rows": rows,
        "previous_page": _page_link(filters, filters.page - 1) if filters.page > 1 else "",
        "next_page": _page_link(filters, filters.page + 1) if has_next else "",
        "state_options": _options(US_STATES, filters.state),
        "route_options": _options(ROUTES, filters.route),
        "modality_options": _options(MODALITIES, filters.modality),
        "telehealth_options": _options(YES_NO, _yes_no(filters.telehealth)),
        "accepting_options": _options(YES_NO, _yes_no(filters.accepting)),
    }
    return render(request, "community/directory_search.html", context)


@public
@require_GET
def directory_listing(request: HttpRequest, pk: int) -> HttpResponse:
    listing = sel.public_listing_get(pk)
    if listing is None:
        raise Http404
    context = {
        "listing": listing,
        "certificate": sel.verified_certificate(listing),
        "routes": dict(ROUTES),
        "modalities": dict(MODALITIES),
    }
    return render(request, "community/directory_listing.html", context)


def _listing_initial(request: AuthenticatedRequest) -> dict[str, object]:
    listing = sel.my_listing(request.actor)
    if listing is None:
        return {"display_name": request.user.full_name, "accepting": True, "kind": "practitioner"}
    names = (
        "kind",
        "display_name",
        "credentials_text",
        "state",
        "city",
        "zip3",
        "telehealth",
        "accepting",
        "sliding_scale",
        "insurance",
        "bio",
        "certificate_title",
        "opted_in",
        "version",
    )
    return {
        **{n: getattr(listing, n) for n in names},
        "routes": listing.route_codes,
        "modalities": listing.modality_codes,
        "languages": ", ".join(listing.language_list),
    }


@requires("directory.listing.edit")
@require_http_methods(["GET", "POST"])
def listing_edit(request: AuthenticatedRequest) -> HttpResponse:
    form = ListingForm(request.POST or None, initial=_listing_initial(request))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        data["languages"] = [x for x in data["languages"].split(",") if x.strip()]
        try:
            svc.listing_save(request.actor, expected_version=version, **data)
        except Refused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.reason)
        else:
            messages.success(request, "Your directory listing is saved.")
            return redirect("community:listing_edit")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "community/listing_edit.html",
        {"form": form, "listing": sel.my_listing(request.actor)},
        status=status,
    )


@requires("directory.attest")
@require_GET
def attestations(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "community/attestations.html",
        {"listings": sel.org_listings(request.actor), "form": AttestForm()},
    )


@requires("directory.attest")
@require_POST
def attest(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    form = AttestForm(request.POST)
    if form.is_valid():
        try:
            listing = svc.listing_attest(request.actor, listing_pk=pk, **form.cleaned_data)
        except Refused as exc:
            messages.error(request, exc.reason)
        else:
            messages.success(request, f"Licence attested for {listing.display_name}.")
    else:
        messages.error(request, "Give the licence type, number and state you checked.")
    return redirect("community:attestations")


@requires("referral.view")
@require_GET
def referrals(request: AuthenticatedRequest) -> HttpResponse:
    picked = request.GET.get("client", "")
    if picked:  # "Refer a client": the picker below, a plain GET form that works without script
        return redirect("community:referral_new", pk=int(picked) if picked.isdigit() else 0)
    return render(
        request,
        "community/referrals.html",
        {
            "inbox": sel.referral_inbox(request.actor),
            "sent": sel.referrals_sent(request.actor),
            "clients": sel.referral_clients(request.actor),
        },
    )


@requires("referral.send")
@require_http_methods(["GET", "POST"])
def referral_new(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    actor = request.actor
    client = scoped_get(
        actor,
        clients_scoped(actor, "referral.send"),
        pk,
        action="referral.send",
        object_type="client",
        client_of="",
    )
    targets = [(t.pk, f"{t.display_name} · {t.city} {t.state}".strip()) for t in sel.referral_targets(actor)]
    form = ReferralForm(request.POST or None, targets=targets)
    if request.method == "POST" and form.is_valid():
        try:
            referral = svc.referral_send(
                actor,
                client_pk=client.pk,
                listing_pk=form.cleaned_data["listing"],
                consent_elements=form.cleaned_data["consent_elements"],
                consent_channel=form.cleaned_data["consent_channel"],
                reason=form.cleaned_data["reason"],
            )
        except Refused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.reason)
        else:
            messages.success(request, "Referral sent.")
            return redirect("community:referral_detail", pk=referral.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "community/referral_new.html", {"client": client, "form": form}, status=status)


@requires("referral.view")
@require_GET
def referral_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    referral = sel.referral_get(request.actor, pk)
    receiver = referral.to_user_id == request.actor.user_id
    return render(
        request,
        "community/referral_detail.html",
        {"referral": referral, "receiver": receiver, "form": DecideForm()},
    )


@requires("referral.decide")
@require_POST
def referral_decide(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    form = DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose accept or decline.")
        return redirect("community:referral_detail", pk=pk)
    accept = form.cleaned_data["decision"] == "accept"
    svc.referral_decide(request.actor, referral_pk=pk, accept=accept, note=form.cleaned_data["note"])
    messages.success(request, "Referral accepted." if accept else "Referral declined.")
    return redirect("community:referral_detail", pk=pk)
