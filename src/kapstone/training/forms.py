"""Forms of the training pages: they check shape; the services decide."""

from __future__ import annotations

import uuid
from typing import Any, cast

from django import forms

from kapstone.core.datefields import LocalDateField, LocalDateTimeField
from kapstone.training.models import CompetencyAssessment

MAX_ARCHIVE = 5 * 1024 * 1024


def _choices(form: forms.Form, name: str, choices: list[Any]) -> None:
    cast(forms.ChoiceField, form.fields[name]).choices = choices


def new_key() -> str:
    return uuid.uuid4().hex


class ImportForm(forms.Form):
    shipped = forms.ChoiceField(label="A program shipped with Kapstone", required=False)
    archive = forms.FileField(
        label="Or a .zip of a program folder",
        required=False,
        help_text="program.toml, module folders and lesson files, as in the format guide.",
    )

    def __init__(self, *args: Any, shipped: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "shipped", [("", "—"), *shipped])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("shipped") and not data.get("archive"):
            raise forms.ValidationError("Choose a shipped program or upload a .zip.")
        archive = data.get("archive")
        if archive is not None and archive.size > MAX_ARCHIVE:
            raise forms.ValidationError("The .zip is larger than 5 MB.")
        return data


class LessonEditForm(forms.Form):
    body = forms.CharField(
        label="Lesson text (Markdown)", widget=forms.Textarea(attrs={"rows": 24, "class": "code"})
    )
    new_version = forms.CharField(
        label="Name of the new draft version",
        max_length=40,
        required=False,
        help_text="Editing a published version makes a new draft, e.g. 2026.12.1.",
    )


class CohortForm(forms.Form):
    name = forms.CharField(label="Cohort name", max_length=200)
    starts_on = LocalDateField(label="Starts on", required=False)
    checks_close_at = LocalDateTimeField(label="Knowledge checks close at", required=False)


class EnrollForm(forms.Form):
    trainee = forms.TypedChoiceField(label="Trainee", coerce=int)
    supervisor = forms.TypedChoiceField(label="Supervisor", coerce=int, required=False, empty_value=None)

    def __init__(
        self, *args: Any, trainees: list[tuple[int, str]], supervisors: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "trainee", trainees)
        _choices(self, "supervisor", [("", "—"), *supervisors])


class SecondRaterForm(forms.Form):
    enrollment = forms.TypedChoiceField(label="Trainee", coerce=int)
    rater = forms.TypedChoiceField(
        label="Second rater",
        coerce=int,
        required=False,
        empty_value=None,
        help_text="Another supervisor, who rates the same evidence as the trainee's supervisor so the "
        "program can compare their ratings. Choose — to remove.",
    )

    def __init__(
        self, *args: Any, enrollments: list[tuple[int, str]], raters: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "enrollment", enrollments)
        _choices(self, "rater", [("", "—"), *raters])


class LiveSessionForm(forms.Form):
    title = forms.CharField(label="Title", max_length=200)
    starts_at = LocalDateTimeField(label="Starts at")
    minutes = forms.IntegerField(label="Length in minutes", min_value=1, max_value=1440)
    topics = forms.MultipleChoiceField(label="Topics", required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, topics: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "topics", topics)


class AssessmentForm(forms.Form):
    competency_id = forms.ChoiceField(label="Competency")
    level = forms.TypedChoiceField(label="Level", coerce=int, widget=forms.RadioSelect)
    evidence_kind = forms.ChoiceField(label="Kind of evidence", choices=CompetencyAssessment.Evidence.choices)
    evidence_ref = forms.CharField(
        label="Which evidence",
        max_length=200,
        help_text='What a second rater would look at: e.g. "Role-play, week 3", or a '
        "co-signed note's number (#123). No client names.",
    )
    note = forms.CharField(
        label="Note to the trainee", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(
        self, *args: Any, competencies: list[tuple[str, str]], levels: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "competency_id", competencies)
        _choices(self, "level", levels)
        if not self.is_bound:
            self.initial.setdefault("key", new_key())


class SecondRatingForm(forms.Form):
    """The second rater's form: which of the supervisor's assessed evidence, and their own level
    (the supervisor's level is not shown, so the two ratings stay independent)."""

    same_as = forms.TypedChoiceField(label="The evidence you rate", coerce=int)
    level = forms.TypedChoiceField(label="Level", coerce=int, widget=forms.RadioSelect)
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(
        self, *args: Any, evidence: list[tuple[int, str]], levels: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "same_as", evidence)
        _choices(self, "level", levels)
        if not self.is_bound:
            self.initial.setdefault("key", new_key())


class JournalForm(forms.Form):
    title = forms.CharField(label="Title", max_length=200)
    body = forms.CharField(
        label="Entry (Markdown)",
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="A training record: describe clients without names or other identifiers.",
    )
    written_on = LocalDateField(label="Date", required=False)
    lesson_id = forms.ChoiceField(label="About a lesson (optional)", required=False)
    session_ref = forms.CharField(
        label="About a session (optional)",
        max_length=120,
        required=False,
        help_text='E.g. "Dosing session, 3 December" — never a client\'s name.',
    )
    confirmed_no_client = forms.BooleanField(label="These words do not name a client", required=False)

    def __init__(self, *args: Any, lessons: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "lesson_id", [("", "—"), *lessons])


class JournalEditForm(forms.Form):
    title = forms.CharField(label="Title", max_length=200)
    body = forms.CharField(label="Entry (Markdown)", widget=forms.Textarea(attrs={"rows": 12}))
    confirmed_no_client = forms.BooleanField(label="These words do not name a client", required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)


class CommentForm(forms.Form):
    body = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 3}))
