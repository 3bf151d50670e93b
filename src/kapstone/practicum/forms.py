"""Forms of the practicum pages. Trainee, organization, status and reviewer are never form fields."""

from __future__ import annotations

import uuid
from typing import Any, cast

from django import forms

from kapstone.core.datefields import LocalDateField, LocalTimeField
from kapstone.practicum.models import KIND_LABELS, LedgerEntry

ONLINE = [("", "Not recorded"), ("online", "Online"), ("in_person", "In person")]


def _choices(field: forms.Field) -> forms.ChoiceField:
    return cast(forms.ChoiceField, field)


class EntryForm(forms.Form):
    kind = forms.ChoiceField(label="Kind of hours", choices=list(KIND_LABELS.items()))
    occurred_on = LocalDateField(label="Date")
    starts_at = LocalTimeField(label="Start time (optional)", required=False)
    minutes = forms.IntegerField(label="Duration (minutes)", help_text="More than 0, at most 1440.")
    supervisor = forms.TypedChoiceField(label="Supervisor who will verify it", coerce=int)
    description = forms.CharField(label="What you did (no client names)", max_length=300, required=False)
    topics = forms.MultipleChoiceField(
        label="Topics (instruction)", required=False, widget=forms.CheckboxSelectMultiple
    )
    online = forms.ChoiceField(label="Live instruction was", choices=ONLINE, required=False)
    group_size = forms.IntegerField(label="Group size (group consultation)", required=False, min_value=1)
    session_kind = forms.ChoiceField(
        label="Session (observed, co-facilitated or led)",
        choices=LedgerEntry.SessionKind.choices,
        required=False,
    )
    client = forms.TypedChoiceField(label="Client (counted, shown only to the care team)", coerce=int,
                                    required=False, empty_value=None)  # fmt: skip
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        supervisors: list[tuple[int, str]],
        topics: list[str],
        clients: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        _choices(self.fields["supervisor"]).choices = supervisors
        _choices(self.fields["topics"]).choices = [(t, t) for t in topics]
        _choices(self.fields["client"]).choices = [("", "No client / not a session"), *clients]

    def online_value(self) -> bool | None:
        return {"online": True, "in_person": False}.get(self.cleaned_data.get("online") or "")


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("verify", "Verify"), ("return", "Return")], widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label="Comment (needed to return)", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class ReverseForm(forms.Form):
    reason = forms.CharField(label="What was wrong", max_length=250)


class MeetingForm(forms.Form):
    attendees = forms.TypedMultipleChoiceField(label="Trainees who attended", coerce=int,
                                               widget=forms.CheckboxSelectMultiple)  # fmt: skip
    occurred_on = LocalDateField(label="Date")
    minutes = forms.IntegerField(label="Duration (minutes)")
    topics = forms.CharField(label="Topics", widget=forms.Textarea(attrs={"rows": 3}))
    actions = forms.CharField(
        label="Agreed actions", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, trainees: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["attendees"]).choices = trainees


class FactForm(forms.Form):
    fact = forms.ChoiceField(label="Fact")
    value = forms.TypedChoiceField(label="Answer", choices=[("yes", "Yes"), ("no", "No")],
                                   coerce=lambda v: v == "yes")  # fmt: skip

    def __init__(self, *args: Any, facts: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self.fields["fact"]).choices = facts
