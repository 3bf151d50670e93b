from __future__ import annotations

from typing import Any

from django import forms

from kapstone.audit.models import Outcome
from kapstone.audit.selectors import SORTS, AuditFilter
from kapstone.core.datefields import LocalDateField


class AuditFilterForm(forms.Form):
    date_from = LocalDateField(label="From (UTC)", required=False)
    date_to = LocalDateField(label="To (UTC)", required=False)
    actor_email = forms.CharField(label="Person (email contains)", required=False, max_length=254)
    action = forms.CharField(label="Action (starts with)", required=False, max_length=80)
    outcome = forms.ChoiceField(label="Outcome", required=False, choices=[("", "Any"), *Outcome.choices])
    client_id = forms.IntegerField(label="Client id", required=False, min_value=1)
    sort = forms.ChoiceField(label="Sort", required=False, choices=[(k, k.title()) for k in SORTS])

    def to_filter(self) -> AuditFilter:
        # A bad value (shown as an error on its field) drops only its own filter: the valid ones still
        # narrow the result, rather than the whole log being returned.
        data: dict[str, Any] = {}
        if self.is_bound:
            self.is_valid()  # fills cleaned_data with every field that is valid
            data = self.cleaned_data
        return AuditFilter(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            actor_email=data.get("actor_email", ""),
            action=data.get("action", ""),
            outcome=data.get("outcome", ""),
            client_id=data.get("client_id"),
            sort=data.get("sort") or "newest",
        )
