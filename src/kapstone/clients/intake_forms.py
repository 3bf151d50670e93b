from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django import forms

from kapstone.clients.consent.principles import DecisionPrinciples, principles_for
from kapstone.clients.hooks import intake_facts
from kapstone.clients.intake_services import INTAKE_FIELDS, IntakeAnswers, MedicationEntry
from kapstone.clients.models import (
    ALLERGY_FLAGS,
    MEDICAL_HISTORY,
    PSYCHIATRIC_HISTORY,
    REPRODUCTIVE,
    CarePreferences,
    Intake,
)
from kapstone.core.datefields import LocalDateTimeField

YES_NO_CHOICES = [("unknown", "Not known yet"), ("true", "Yes"), ("false", "No")]


def _yes_no_widget() -> forms.NullBooleanSelect:
    widget = forms.NullBooleanSelect()
    widget.choices = YES_NO_CHOICES
    return widget


@dataclass
class Fieldset:
    legend: str
    fields: list[forms.BoundField]
    description: str = ""
    principles: DecisionPrinciples | None = None


FIELDSETS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("About the client", "", ("sex_at_birth", "gender_identity", "preferred_language", "address")),
    (
        "Emergency contact",
        "",
        ("emergency_contact_name", "emergency_contact_relationship", "emergency_contact_phone"),
    ),
    (
        "Support person and referral",
        "",
        (
            "support_person_name",
            "support_person_relationship",
            "support_person_phone",
            "existing_therapist",
            "referral_source",
        ),
    ),
    ("Presenting concerns and goals", "", ("presenting_concerns", "goals", "diagnosis")),
    (
        "Psychiatric history",
        "Ask every question; 'No' and 'Not known yet' mean different things to the screening.",
        (
            *(n for n, _ in PSYCHIATRIC_HISTORY),
            "substance_use_notes",
            "prior_psychedelic_use",
            "prior_psychedelic_notes",
            "psychiatric_notes",
        ),
    ),
    ("Medical history", "", (*(n for n, _ in MEDICAL_HISTORY), "hepatic_impairment", "medical_notes")),
    ("Pregnancy, lactation and contraception", "", tuple(n for n, _ in REPRODUCTIVE)),
    ("Allergies", "", (*(n for n, _ in ALLERGY_FLAGS), "other_allergies")),
    (
        "Baseline vital signs and weight",
        "Resting, seated readings.",
        ("bp_systolic", "bp_diastolic", "heart_rate", "weight_kg", "vitals_taken_at"),
    ),
    (
        "Treatment being considered",
        "The prescriber decides; this tells the screening which label rules apply.",
        ("product", "route"),
    ),
)
LABELS = dict(PSYCHIATRIC_HISTORY + MEDICAL_HISTORY + REPRODUCTIVE + ALLERGY_FLAGS)


class IntakeForm(forms.ModelForm[Intake]):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    medications_reviewed = forms.BooleanField(
        required=False,
        label="This medication list is complete (with no rows, it records that the client takes none)",
    )

    class Meta:
        model = Intake
        fields = INTAKE_FIELDS
        widgets = {
            "address": forms.Textarea(attrs={"rows": 2}),
            "presenting_concerns": forms.Textarea(attrs={"rows": 3}),
            "goals": forms.Textarea(attrs={"rows": 3}),
            "substance_use_notes": forms.Textarea(attrs={"rows": 2}),
            "prior_psychedelic_notes": forms.Textarea(attrs={"rows": 2}),
            "psychiatric_notes": forms.Textarea(attrs={"rows": 2}),
            "medical_notes": forms.Textarea(attrs={"rows": 2}),
            "other_allergies": forms.Textarea(attrs={"rows": 2}),
        }
        field_classes = {"vitals_taken_at": LocalDateTimeField}  # typed in the person's zone and clock

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field, forms.NullBooleanField):
                field.widget = _yes_no_widget()
                field.help_text = ""
            if name in LABELS:
                field.label = LABELS[name]
            if isinstance(field, forms.ChoiceField):
                choices = [c for c in cast(list[tuple[str, str]], field.choices) if c[0] != ""]
                field.choices = [("", "Not known yet"), *choices]
        self.fields["bp_systolic"].widget.attrs.update(inputmode="numeric")
        self.fields["bp_diastolic"].widget.attrs.update(inputmode="numeric")
        self.fields["heart_rate"].widget.attrs.update(inputmode="numeric")
        self.fields["weight_kg"].widget.attrs.update(inputmode="decimal")

    @property
    def fieldsets(self) -> list[Fieldset]:
        return [
            Fieldset(legend, [self[n] for n in names], description)
            for legend, description, names in FIELDSETS
        ]


def _medication_class_choices() -> list[tuple[str, str]]:
    """The medication classes screening knows (screening/FACTS.md), read when a form is built."""
    return [(c, c.replace("_", " ")) for c in intake_facts().medication_classes]


class MedicationForm(forms.Form):
    name = forms.CharField(max_length=120, required=False, label="Medication")
    classes = forms.MultipleChoiceField(
        required=False,
        choices=_medication_class_choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "inline-choices"}),
        label="Class",
    )
    dose = forms.CharField(max_length=120, required=False, label="Dose as taken")
    diazepam_equivalent_mg_per_day = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=6,
        decimal_places=2,
        label="Diazepam equivalent (mg/day), benzodiazepines only",
    )

    def has_content(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return bool(
            data.get("name")
            or data.get("classes")
            or data.get("dose")
            or data.get("diazepam_equivalent_mg_per_day") is not None
        )


MedicationFormSet = forms.formset_factory(
    MedicationForm, extra=2, can_delete=True, max_num=40, validate_max=True
)


def medications_from(formset: Any) -> list[MedicationEntry]:
    """The rows the editor kept (blank and deleted rows dropped), in order."""
    rows: list[MedicationEntry] = []
    for form in formset.forms:
        if (
            not getattr(form, "cleaned_data", None)
            or form.cleaned_data.get("DELETE")
            or not form.has_content()
        ):
            continue
        data = form.cleaned_data
        rows.append(
            MedicationEntry(
                name=(data.get("name") or "").strip(),
                classes=tuple(data.get("classes") or ()),
                dose=(data.get("dose") or "").strip(),
                diazepam_equivalent_mg_per_day=data.get("diazepam_equivalent_mg_per_day"),
            )
        )
    return rows


def intake_answers(form: IntakeForm) -> IntakeAnswers:
    """The intake form's answers, typed for the service (the form covers every intake field)."""
    return IntakeAnswers(**{name: form.cleaned_data[name] for name in INTAKE_FIELDS})


class PreferencesForm(forms.ModelForm[CarePreferences]):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = CarePreferences
        fields = ("music", "people_present", "staff_gender_preference", "touch_preference", "other")
        labels = {
            "music": "Music during sessions",
            "people_present": "Who is present",
            "staff_gender_preference": "Any preference about the gender of staff or chaperones",
            "touch_preference": "Thoughts about supportive touch",
        }
        widgets = {
            k: forms.Textarea(attrs={"rows": 2})
            for k in ("music", "people_present", "touch_preference", "other")
        }

    PRINCIPLES = {
        "music": "music",
        "people_present": "people_present",
        "staff_gender_preference": "people_present",
        "touch_preference": "touch",
    }

    def principle_for(self, name: str) -> DecisionPrinciples | None:
        key = self.PRINCIPLES.get(name)
        return principles_for(key) if key else None

    @property
    def rows(self) -> list[tuple[forms.BoundField, DecisionPrinciples | None]]:
        return [(self[name], self.principle_for(name)) for name in self.Meta.fields]


class ConsentSignForm(forms.Form):
    template_id = forms.CharField(widget=forms.HiddenInput)
    template_version = forms.IntegerField(widget=forms.HiddenInput)
    understood = forms.BooleanField(
        required=False, label="I have read this form, had my questions answered, and understand it."
    )
    touch = forms.BooleanField(required=False, label="Yes: supportive touch may be used, as I describe here")
    touch_scope = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Where and how (for example: a hand on my shoulder or wrist)",
    )
    touch_stop_signal = forms.CharField(required=False, max_length=200, label="My stop signal")
    recording = forms.BooleanField(required=False, label="Yes: my sessions may be recorded")
    observers = forms.BooleanField(
        required=False, label="Yes: the observers or trainees I name may be present"
    )
    observer_team = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="From my care team"
    )
    observer_other = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Anyone else (one name per line)",
    )
    at_home = forms.BooleanField(required=False, label="Yes: I may dose at home with a chaperone")
    chaperone_name = forms.CharField(required=False, max_length=120, label="My chaperone's name")
    research = forms.BooleanField(required=False, label="Yes: my de-identified data may be used for research")
    signed_name = forms.CharField(required=False, max_length=200, label="Type your full name to sign")

    OPT_IN_FIELDS: dict[str, tuple[str, ...]] = {
        "touch": ("touch", "touch_scope", "touch_stop_signal"),
        "recording": ("recording",),
        "observers": ("observers", "observer_team", "observer_other"),
        "at_home": ("at_home", "chaperone_name"),
        "research": ("research",),
    }

    def __init__(self, *args: Any, team_names: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["observer_team"].choices = [(n, n) for n in team_names]  # type: ignore[attr-defined]
        if not team_names:
            self.fields["observer_team"].widget = forms.MultipleHiddenInput()

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        names = list(data.pop("observer_team", []) or [])
        names += [line for line in (data.pop("observer_other", "") or "").splitlines() if line.strip()]
        data["observer_names"] = names
        return data

    def sections(self, template: Any) -> list[tuple[Any, list[forms.BoundField], DecisionPrinciples]]:
        return [
            (section, [self[f] for f in self.OPT_IN_FIELDS[section.key]], principles_for(section.key))
            for section in template.opt_ins
        ]


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason (optional for the client; for staff, how the client told you)",
    )


class ConsentTemplateForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "false", "class": "code"}),
        label="Template (TOML)",
        strip=False,
    )
    note = forms.CharField(required=False, max_length=2000, label="What changed and why")
