"""Forms of consultation: they parse what was typed; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from kapstone.consultation.models import ConsultationGroup, Proposal
from kapstone.core.datefields import LocalDateField


class CaseNewForm(forms.Form):
    summary = forms.CharField(
        label="Summary and the question for the group",
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Write what the group needs; the engine proposes what to remove before anyone sees it.",
    )
    notes = forms.TypedMultipleChoiceField(
        label="Signed progress notes to include",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, note_choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["notes"].choices = note_choices  # type: ignore[attr-defined]


class RedactMoreForm(forms.Form):
    phrase = forms.CharField(label="Also redact (every occurrence)", max_length=200)


class PostForm(forms.Form):
    group = forms.TypedChoiceField(label="Consultation group", coerce=int)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, groups: list[ConsultationGroup], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [(g.pk, g.name) for g in groups]  # type: ignore[attr-defined]


class FeedbackForm(forms.Form):
    body = forms.CharField(label="Your feedback", widget=forms.Textarea(attrs={"rows": 4}), max_length=5000)


class FlagForm(forms.Form):
    reason = forms.CharField(
        label="What identifies the client?",
        max_length=500,
        help_text="Say where, without repeating the identifier itself.",
    )


class GroupForm(forms.Form):
    name = forms.CharField(max_length=120)
    facilitator = forms.TypedChoiceField(coerce=int)
    max_members = forms.IntegerField(min_value=2, max_value=30, initial=6, label="Most members")
    minutes_per_case = forms.IntegerField(min_value=5, max_value=120, initial=20, label="Minutes per case")
    schedule = forms.CharField(max_length=200, required=False)

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["facilitator"].choices = people  # type: ignore[attr-defined]


class MemberAddForm(forms.Form):
    user = forms.TypedChoiceField(label="Add a member", coerce=int)

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = people  # type: ignore[attr-defined]


class MeetingForm(forms.Form):
    held_on = LocalDateField(label="Held on")
    minutes = forms.IntegerField(min_value=1, max_value=600, label="Duration (minutes)")
    attendees = forms.TypedMultipleChoiceField(coerce=int, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["attendees"].choices = people  # type: ignore[attr-defined]


def decision_choices(p: Proposal) -> list[tuple[str, str]]:
    D = Proposal.Decision
    if p.kind == Proposal.Kind.REDACTION:
        options = [(D.ACCEPT, f"Use {p.suggested}"), (D.EDIT, "Replace with my wording")]
        if p.source != "known":
            options.append((D.KEEP, "Keep the original (with a reason)"))
    else:
        options = [
            (D.REMOVE, "Remove"),
            (D.GENERALISE, "Generalise (my wording)"),
            (D.KEEP, "Keep (with a reason)"),
        ]
    return [(str(value), label) for value, label in options]
