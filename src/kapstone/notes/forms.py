"""Forms for notes. Ownership, organization, status and signatures are never form fields."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from kapstone.notes.definitions import MAX_SECTION_CHARS, NoteTemplate, newest_templates
from kapstone.notes.services import MAX_ADDENDUM_CHARS, MAX_PSYCHNOTE_CHARS

PREFIX = "section_"


def field_name(key: str) -> str:
    return f"{PREFIX}{key}"


class NewNoteForm(forms.Form):
    template = forms.ChoiceField(label="Note template", widget=forms.RadioSelect)
    session = forms.TypedChoiceField(label="Session (optional)", required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, sessions: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        templates = newest_templates()
        cast(forms.ChoiceField, self.fields["template"]).choices = [
            (t.id, f"{t.name} — {t.description}") for t in templates
        ]
        if templates:
            self.fields["template"].initial = templates[0].id
        if sessions:
            cast(forms.ChoiceField, self.fields["session"]).choices = [
                ("", "Not linked to a session"),
                *sessions,
            ]
        else:
            del self.fields["session"]


class NoteEditorForm(forms.Form):
    """One text area per section of the note's template, and the version the editor read."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, template: NoteTemplate, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.template = template
        for section in template.sections:
            self.fields[field_name(section.key)] = forms.CharField(
                label=section.label,
                help_text=section.prompt,
                required=False,
                strip=False,
                max_length=MAX_SECTION_CHARS,
                widget=forms.Textarea(attrs={"rows": 6}),
            )

    @staticmethod
    def initial_for(sections: dict[str, str], version: int) -> dict[str, Any]:
        return {"version": version, **{field_name(k): v for k, v in sections.items()}}

    def sections(self) -> dict[str, str]:
        return {s.key: self.cleaned_data.get(field_name(s.key)) or "" for s in self.template.sections}

    def typed_sections(self) -> dict[str, str]:
        """What the person typed, even when the form is not valid (to keep it on the page)."""
        return {s.key: self.data.get(field_name(s.key), "") for s in self.template.sections}


class AddendumForm(forms.Form):
    text = forms.CharField(
        label="Addendum",
        help_text="What is added or corrected, and why. The signed note stays as it was.",
        max_length=MAX_ADDENDUM_CHARS,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class PsychNoteForm(forms.Form):
    body = forms.CharField(
        label="Psychotherapy note",
        help_text="Your private process note. Only you can read it; it is never shown to the client, "
        "exported, or shared, unless you grant a supervisor access for training.",
        max_length=MAX_PSYCHNOTE_CHARS,
        widget=forms.Textarea(attrs={"rows": 10}),
    )


class GrantForm(forms.Form):
    supervisor = forms.TypedChoiceField(label="Supervisor", coerce=int)
    note = forms.TypedChoiceField(label="Which notes", coerce=int, required=False, empty_value=None)

    def __init__(
        self, *args: Any, supervisors: list[tuple[int, str]], notes: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["supervisor"]).choices = supervisors
        cast(forms.ChoiceField, self.fields["note"]).choices = [("", "All my psychotherapy notes"), *notes]


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label="Comments for the trainee",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4_000,
        help_text="What to add or correct. They answer by addendum; the note stays waiting for your co-sign.",
    )
