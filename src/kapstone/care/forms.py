"""Forms for courses and sessions. They carry what was typed; the services (and the pure protocol
core behind them) decide what is allowed and name the field when they refuse. Forms built from a
protocol offer that protocol's own routes, tiers, attestations, symptoms and checklist items."""

from __future__ import annotations

from typing import Any

from django import forms

from kapstone.care.models import AdverseEvent, CareSession, Course, Intervention, ProtocolVersion
from kapstone.care.protocol_core import Protocol, default_ae_categories, default_vital_bounds
from kapstone.care.quick_entry import QuickEntryError, read_quick
from kapstone.care.services import (
    DERIVED_ATTESTATIONS,
    DISSOCIATION_SCALES,
    EMOTIONAL_STATES,
    MODALITIES,
    PSYCHOEDUCATION,
    new_key,
)
from kapstone.core.datefields import LocalDateTimeField
from kapstone.core.localtime import format_datetime
from kapstone.measures.instruments import instrument_choices

UNITS = (("mg", "mg"), ("mcg", "mcg (micrograms)"), ("g", "g"), ("mL", "mL"))


def _when(label: str, *, required: bool = False, help_text: str = "") -> forms.DateTimeField:
    """A moment typed in the person's zone and clock, not the browser's locale (issue #12)."""
    return LocalDateTimeField(label=label, required=required, help_text=help_text)


def _number(label: str, *, required: bool = False, step: str = "1", **attrs: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=required,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": step, **attrs}),
    )


def _text(label: str, rows: int = 3, *, required: bool = False, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label, required=required, help_text=help_text, widget=forms.Textarea(attrs={"rows": rows})
    )


class VersionedForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class KeyedForm(forms.Form):
    """An entry form of the dosing room: a key per entry, so a retried POST does not duplicate."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", new_key())


# --------------------------------------------------------------------------------------------------
# Protocols, courses, sessions
# --------------------------------------------------------------------------------------------------


class ProtocolEditForm(forms.Form):
    text = forms.CharField(
        label="Protocol file (TOML)",
        widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "false", "class": "code"}),
        help_text="Change what the clinic decided; cite a source or mark clinic_setting (with a note).",
    )
    note = forms.CharField(label="What changed and why", widget=forms.Textarea(attrs={"rows": 3}))


class ProtocolChoiceField(forms.ModelChoiceField[ProtocolVersion]):
    def label_from_instance(self, obj: ProtocolVersion) -> str:
        return f"{obj.title} ({obj.protocol_id} {obj.version}, {obj.route})"


class CourseStartForm(forms.Form):
    protocol = ProtocolChoiceField(queryset=ProtocolVersion.objects.none(), label="Protocol")
    prescriber = forms.ChoiceField(label="Prescriber", required=False)
    indication = forms.CharField(label="Indication", required=False, max_length=200)
    goals = _text("Goals for the course")

    def __init__(self, *args: Any, protocols: list[ProtocolVersion], prescribers: list[Any], **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["protocol"]
        assert isinstance(field, ProtocolChoiceField)
        field.queryset = ProtocolVersion.objects.filter(pk__in=[p.pk for p in protocols]).order_by(
            "protocol_id"
        )
        prescriber_field = self.fields["prescriber"]
        assert isinstance(prescriber_field, forms.ChoiceField)
        prescriber_field.choices = [("", "—")] + [(str(u.pk), u.full_name) for u in prescribers]


class CourseEditForm(VersionedForm):
    status = forms.ChoiceField(choices=Course.Status.choices)
    indication = forms.CharField(required=False, max_length=200)
    goals = _text("Goals for the course")
    end_reason = _text("Why the course ends", 2, help_text="Needed when completing or closing the course.")


class ScheduleForm(forms.Form):
    kind = forms.ChoiceField(choices=CareSession.Kind.choices, label="Session")
    scheduled_at = _when("Date and time", required=True)
    location = forms.ChoiceField(choices=CareSession.Location.choices, initial=CareSession.Location.CLINIC)
    follows = forms.ChoiceField(label="Follows dosing session", required=False)
    interval_justification = _text(
        "Prescriber's reason to book a dosing session closer than the protocol's minimum interval", 2
    )

    def __init__(self, *args: Any, dosing_sessions: list[CareSession], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        follows = self.fields["follows"]
        assert isinstance(follows, forms.ChoiceField)
        follows.choices = [("", "— (integration sessions only)")] + [
            (str(s.pk), f"Dosing {s.number or ''} on {format_datetime(s.started_at or s.scheduled_at)}")
            for s in dosing_sessions
        ]


class CancelForm(forms.Form):
    reason = forms.CharField(label="Why is the session cancelled?", max_length=500)


class PreparationForm(VersionedForm):
    psychoeducation = forms.MultipleChoiceField(
        label="Psychoeducation covered", choices=PSYCHOEDUCATION, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    intentions = _text("Intention(s), in the client's words")
    expectations = _text("Expectations discussed")
    fears = _text("Fears")
    what_if_plan = _text('"What if" plan', help_text="What we do if it gets hard; how the client signals.")
    music = _text("Music (playlist, silence, anything to avoid)", 2)
    touch_agreement = _text(
        "Touch agreement", help_text="Which areas, what kind. Touch is only used under a signed touch opt-in."
    )
    touch_stop_signal = forms.CharField(label="Stop signal", required=False, max_length=200)
    safety_plan = _text("Safety plan")
    emergency_contacts = _text("Emergency contacts", 2)
    transport_plan = _text("Transport plan (who drives the client home)", 2)
    fasting_instructions_given = forms.BooleanField(label="Fasting instructions given", required=False)
    medication_hold_instructions_given = forms.BooleanField(
        label="Medication-hold instructions given", required=False
    )
    chaperone_briefed = forms.NullBooleanField(
        label="Chaperone briefed (at-home dosing)", required=False, widget=forms.NullBooleanSelect
    )


class IntegrationForm(VersionedForm):
    narrative = _text("The client's account of the session", 5)
    themes = forms.CharField(label="Themes", required=False, help_text="Separate with commas.")
    insights = _text("Insights and meaning-making")
    commitments = _text("Commitments (emotional, behavioural)")
    modalities = forms.MultipleChoiceField(
        choices=MODALITIES, required=False, widget=forms.CheckboxSelectMultiple, label="Modalities used"
    )
    safety_check = _text("Safety check", 2)
    measures_due = forms.MultipleChoiceField(
        label="Measures due", required=False, widget=forms.CheckboxSelectMultiple
    )
    next_dose_plan = _text("Plan for the next dose", 2)
    prescriber_feedback = _text(
        "Feedback to the prescriber",
        2,
        help_text="Dose-adjustment feedback; shown on the course for the prescriber.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["measures_due"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = _instrument_choices()


def _instrument_choices() -> list[tuple[str, str]]:
    try:
        return list(instrument_choices())
    except Exception:  # noqa: BLE001 - the list is a convenience; an empty one is safe
        return []


# --------------------------------------------------------------------------------------------------
# The dosing room
# --------------------------------------------------------------------------------------------------


class PreDoseForm(VersionedForm):
    planned_dose_at = _when("Planned dose time", help_text="Blank: now.")
    last_food_at = _when("Last food")
    last_liquid_at = _when("Last liquid")
    weight_kg = forms.DecimalField(
        label="Weight (kg)", required=False, max_digits=5, decimal_places=1,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.1"}),
    )  # fmt: skip
    systolic = _number("Systolic (mmHg)")
    diastolic = _number("Diastolic (mmHg)")
    heart_rate = _number("Heart rate (/min)")
    spo2 = _number("SpO2 (%)")
    respiratory_rate = _number("Resp. rate (/min)")
    moaas = forms.TypedChoiceField(
        label="MOAA/S (pre-dose baseline)", required=False, coerce=int, empty_value=None,
        choices=[("", "—")] + [(str(i), str(i)) for i in range(5, -1, -1)],
    )  # fmt: skip
    symptoms = forms.MultipleChoiceField(
        label="Symptoms now", required=False, widget=forms.CheckboxSelectMultiple
    )
    medications_reviewed = forms.BooleanField(label="Same-day medications reviewed", required=False)
    same_day_medications = forms.MultipleChoiceField(
        label="Taken today", required=False, widget=forms.CheckboxSelectMultiple
    )
    mood_result = forms.ChoiceField(label="Mood and suicidality check (C-SSRS / PHQ-9)", required=False)
    current_psychotic_symptoms = forms.TypedChoiceField(
        label="Psychotic symptoms now (hallucinations, delusions, disorganised thinking)?",
        required=False, coerce=lambda v: v == "yes", empty_value=None,
        choices=[("", "Not asked yet"), ("no", "No"), ("yes", "Yes")],
    )  # fmt: skip
    current_manic_symptoms = forms.TypedChoiceField(
        label="Manic or hypomanic symptoms now?",
        required=False, coerce=lambda v: v == "yes", empty_value=None,
        choices=[("", "Not asked yet"), ("no", "No"), ("yes", "Yes")],
    )  # fmt: skip
    justification = _text(
        "Prescriber's justification",
        2,
        help_text="Only when the check asks for one; only a prescriber may give it.",
    )

    def __init__(self, *args: Any, protocol: Protocol, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.protocol = protocol
        symptoms = self.fields["symptoms"]
        assert isinstance(symptoms, forms.MultipleChoiceField)
        symptoms.choices = [(s.id, s.label) for s in protocol.hypertensive_emergency.symptoms]
        meds = self.fields["same_day_medications"]
        assert isinstance(meds, forms.MultipleChoiceField)
        meds.choices = [(m.id, m.label) for m in protocol.pre_dose.medications]
        mood = self.fields["mood_result"]
        assert isinstance(mood, forms.ChoiceField)
        mood.choices = [("", "— not done —")] + [
            (r.id, r.label) for r in protocol.pre_dose.mood_check.results
        ]
        self.attestation_names: list[str] = []
        for attestation in protocol.pre_dose.attestations:
            if attestation.id in DERIVED_ATTESTATIONS:
                continue
            name = f"attest_{attestation.id}"
            self.fields[name] = forms.BooleanField(label=attestation.label, required=False)
            self.attestation_names.append(name)
        if not protocol.uses_weight:
            self.fields["weight_kg"].help_text = "Optional for this protocol (mg/kg shown when given)."
        else:
            self.fields["weight_kg"].help_text = "Required: this protocol doses by weight."

    def vitals_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in ("systolic", "diastolic", "heart_rate", "spo2", "respiratory_rate", "moaas")]

    def attestation_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in self.attestation_names]


class DoseForm(KeyedForm):
    amount_mg = forms.DecimalField(
        label="Dose", max_digits=7, decimal_places=2, required=False,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
    )  # fmt: skip
    unit = forms.ChoiceField(choices=UNITS, initial="mg")
    route = forms.ChoiceField()
    tier = forms.ChoiceField(required=False)
    formulation = forms.CharField(max_length=200, required=False)
    given_at = _when("Time given", help_text="Blank: now.")
    given_by = forms.ChoiceField(label="Given by", required=False)
    lot = forms.CharField(label="Lot / batch", required=False, max_length=60)
    justification = _text("Prescriber's justification (outside protocol only)", 2)

    def __init__(self, *args: Any, protocol: Protocol, team: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        route = self.fields["route"]
        assert isinstance(route, forms.ChoiceField)
        route.choices = [(r, r) for r in protocol.routes]
        self.initial.setdefault("route", protocol.route)
        tier = self.fields["tier"]
        assert isinstance(tier, forms.ChoiceField)
        tier.choices = [("", "—")] + [(t.id, t.label) for t in protocol.tiers]
        self.initial.setdefault("formulation", protocol.formulation)
        given_by = self.fields["given_by"]
        assert isinstance(given_by, forms.ChoiceField)
        given_by.choices = [("", "Me")] + [(str(u.pk), u.full_name) for u in team]
        self.team = {str(u.pk): u for u in team}

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["given_by"] = self.team.get(data.get("given_by") or "")
        return data


class VitalsForm(KeyedForm):
    quick = forms.CharField(
        label="Quick entry", required=False, max_length=40,
        help_text="BP HR SpO2 RR in one line, e.g. 150/90 88 97 16; Enter saves.",
        widget=forms.TextInput(attrs={"autofocus": "autofocus", "autocomplete": "off", "inputmode": "text",
                                      "placeholder": "150/90 88 97 16"}),
    )  # fmt: skip
    systolic = _number("SBP", min="0", enterkeyhint="next")
    diastolic = _number("DBP", min="0", enterkeyhint="next")
    heart_rate = _number("HR", min="0", enterkeyhint="next")
    spo2 = _number("SpO2", min="0", enterkeyhint="next")
    respiratory_rate = _number("RR", min="0", enterkeyhint="done")
    taken_at = _when("Time", help_text="Blank: now.")
    symptoms = forms.MultipleChoiceField(
        label="Hypertensive-emergency symptoms", required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(required=False, max_length=300)

    def __init__(self, *args: Any, protocol: Protocol, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        symptoms = self.fields["symptoms"]
        assert isinstance(symptoms, forms.MultipleChoiceField)
        symptoms.choices = [(s.id, s.label) for s in protocol.hypertensive_emergency.symptoms]

    def numbers(self) -> list[forms.BoundField]:
        return [self[n] for n in ("systolic", "diastolic", "heart_rate", "spo2", "respiratory_rate")]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        quick = (data.get("quick") or "").strip()
        if quick:
            try:
                values = read_quick(quick, default_vital_bounds())
            except QuickEntryError as exc:  # read in order, never guessed: refused, by the quick box
                self.add_error("quick", str(exc))
                return data
            for name, value in values.items():
                if data.get(name) not in (None, "") and data[name] != value:
                    self.add_error(name, f"Quick entry says {value}; the box says {data[name]}: keep one.")
                data[name] = value
        return data


class RatingForm(KeyedForm):
    moaas = forms.TypedChoiceField(
        label="MOAA/S", required=False, coerce=int, empty_value=None,
        choices=[("", "—")] + [(str(i), str(i)) for i in range(5, -1, -1)],
        help_text="5 responds readily to name in normal tone … 0 no response to painful stimulus.",
    )  # fmt: skip
    dissociation_scale = forms.ChoiceField(
        label="Dissociation scale", required=False,
        choices=[("", "—")] + [(k, v[0]) for k, v in DISSOCIATION_SCALES.items()],
    )  # fmt: skip
    dissociation_score = forms.DecimalField(
        label="Score", required=False, max_digits=5, decimal_places=1,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any"}),
    )  # fmt: skip
    emotional_state = forms.ChoiceField(label="Emotional state", required=False,
                                        choices=[("", "—"), *EMOTIONAL_STATES])  # fmt: skip
    note = forms.CharField(required=False, max_length=300)
    taken_at = _when("Time", help_text="Blank: now.")


class InterventionForm(KeyedForm):
    kind = forms.ChoiceField(label="Intervention", choices=[("", "—"), *Intervention.Kind.choices])
    description = forms.CharField(required=False, max_length=500, label="What, exactly")
    at = _when("Time", help_text="Blank: now.")


def _ae_choices() -> list[tuple[str, list[tuple[str, str]]] | tuple[str, str]]:
    catalog = default_ae_categories()
    groups: list[tuple[str, list[tuple[str, str]]] | tuple[str, str]] = [("", "—")]
    for category in catalog.categories:
        groups.append((category.label, [(t.id, t.label) for t in category.terms]))
    return groups


class AdverseEventForm(KeyedForm):
    term = forms.ChoiceField(label="Event")
    severity = forms.ChoiceField(choices=[("", "—"), *AdverseEvent.Severity.choices])
    serious = forms.BooleanField(label="Serious (SAE)", required=False)
    action_taken = forms.CharField(label="Action taken", required=False, max_length=500)
    outcome = forms.ChoiceField(choices=AdverseEvent.Outcome.choices, initial=AdverseEvent.Outcome.ONGOING)
    relatedness = forms.ChoiceField(
        choices=AdverseEvent.Relatedness.choices, initial=AdverseEvent.Relatedness.POSSIBLE
    )
    rems_report = forms.BooleanField(label="Report to the REMS", required=False)
    description = forms.CharField(required=False, max_length=1000)
    onset_at = _when("Onset", help_text="Blank: now.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        term = self.fields["term"]
        assert isinstance(term, forms.ChoiceField)
        term.choices = _ae_choices()


class AlertAckForm(forms.Form):
    action_taken = forms.CharField(
        label="Action taken", max_length=1000, required=False,
        widget=forms.TextInput(attrs={"placeholder": "e.g. rechecked in 5 min, prescriber informed"}),
    )  # fmt: skip


class InfusionEndForm(KeyedForm):
    ended_at = _when("Infusion ended at", help_text="Blank: now.")


class DischargeForm(VersionedForm):
    left_with = forms.CharField(label="Left with (name, relationship)", required=False, max_length=200)
    aftercare_given = forms.BooleanField(label="After-care instructions given", required=False)
    discharge_notes = _text("Notes", 2)
    vitals_justification = _text(
        "Prescriber's reason to discharge with a scheduled reading missing or vitals outside the limits", 2
    )

    def __init__(self, *args: Any, protocol: Protocol, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.item_names: list[str] = []
        for item in protocol.discharge.items:
            name = f"item_{item.id}"
            self.fields[name] = forms.BooleanField(label=item.label, required=False)
            self.item_names.append(name)
        if "aftercare_given" in {item.id for item in protocol.discharge.items}:
            del self.fields["aftercare_given"]  # the protocol's own checklist asks it

    def item_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in self.item_names]
