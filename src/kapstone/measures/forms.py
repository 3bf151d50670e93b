"""Forms generated from instrument definitions. They only carry what was typed: validation and
scoring belong to the services (the pure core's messages name each item), so a refused form is
re-rendered bound, with every answer kept."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import QueryDict

from kapstone.core.datefields import LocalDateTimeField
from kapstone.measures.instruments import Instrument, instrument_choices, item_text
from kapstone.measures.models import MeasureSchedule
from kapstone.measures.scoring.definition import parse_number
from kapstone.measures.scoring.rules import describe

# POST keys that are not answers.
NOT_ANSWERS = frozenset({"csrfmiddlewaretoken", "administered_at", "action"})


def coerce(raw: object) -> object:
    """Form text to a number; blank is "not answered"; anything else is passed on for the
    scoring core to reject by name."""
    if raw is None:
        return None
    text = str(raw).strip()
    if text == "":
        return None
    return parse_number(text, text)


def answer_pairs(data: QueryDict | Mapping[str, Any]) -> list[tuple[str, object]]:
    """Every answer posted, as (item id, value) pairs: repeated and unknown keys are kept so the
    service can refuse them by name."""
    pairs: list[tuple[str, object]] = []
    for key in data:
        if key in NOT_ANSWERS:
            continue
        values = data.getlist(key) if isinstance(data, QueryDict) else [data[key]]
        pairs.extend((key, coerce(value)) for value in values)
    return pairs


@dataclass(frozen=True)
class ItemRow:
    field: forms.BoundField
    number: int
    text: str
    hint: str
    choice: bool
    optional: bool


class QuestionnaireForm(forms.Form):
    """One field per item, named by item id; radio buttons for choice items, a number box for
    range items. Nothing is required here: the service decides and names what is missing."""

    def __init__(
        self,
        instrument: Instrument,
        *args: Any,
        item_texts: Mapping[str, str] | None = None,
        with_administered_at: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        self._rows: list[tuple[str, int, str, str, bool, bool]] = []
        if with_administered_at:
            self.fields["administered_at"] = LocalDateTimeField(
                required=False, label="Completed at", help_text="Leave blank for now."
            )
        for item in instrument.items:
            response = item.response
            optional = not item.required or item.ask_if is not None
            hints = []
            if item.ask_if is not None:
                hints.append(f"Only if {self._condition_text(item.ask_if)}; otherwise leave it unanswered.")
            elif not item.required:
                hints.append("Optional.")
            if response.kind == "choice":
                choices = [(str(o.value), o.label) for o in response.options]
                if optional:
                    choices.append(("", "Not answered"))
                widget: forms.Widget = forms.RadioSelect(choices=choices)
            else:
                step = "1" if response.integer else "any"
                widget = forms.NumberInput(
                    attrs={
                        "min": f"{response.min:g}",
                        "max": f"{response.max:g}",
                        "step": step,
                        "inputmode": "numeric" if response.integer else "decimal",
                    }
                )
                low = f"{response.min:g}" + (f" = {response.min_label}" if response.min_label else "")
                high = f"{response.max:g}" + (f" = {response.max_label}" if response.max_label else "")
                hints.append(f"A number from {low} to {high}.")
            text = item_text(instrument, item.id, item_texts)
            self.fields[item.id] = forms.CharField(
                required=False, label=f"{item.position}. {text}", widget=widget, strip=True
            )
            self._rows.append(
                (item.id, item.position, text, " ".join(hints), response.kind == "choice", optional)
            )

    def _condition_text(self, condition: Any) -> str:
        text = describe(condition)
        for item in self.instrument.items:  # "cssrs_2 == 1" -> "question 2 is Yes"
            for option in item.response.options:
                text = text.replace(
                    f"{item.id} == {option.value}", f"question {item.position} is {option.label}"
                )
            text = text.replace(item.id, f"question {item.position}")
        return text

    @property
    def rows(self) -> list[ItemRow]:
        return [
            ItemRow(self[name], number, text, hint, choice, optional)
            for name, number, text, hint, choice, optional in self._rows
        ]


class AcknowledgeForm(forms.Form):
    action_taken = forms.CharField(
        required=False,
        label="What did you do?",
        help_text="Required. For example: called the client, completed the C-SSRS, reviewed the safety plan.",
        widget=forms.Textarea(attrs={"rows": 4, "required": True, "maxlength": 4000}),
    )
    safety_plan = forms.CharField(
        required=False,
        label="Safety plan made or updated",
        help_text="Required for a moderate or high risk task: what the plan says, or where it is documented.",
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 4000}),
    )


class SendLinkForm(forms.Form):
    instrument = forms.ChoiceField(label="Questionnaire", choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["instrument"].choices = instrument_choices()  # type: ignore[attr-defined]


class ScheduleForm(forms.Form):
    instrument = forms.ChoiceField(label="Questionnaire", choices=())
    kind = forms.ChoiceField(label="When", choices=MeasureSchedule.Kind.choices)
    interval_days = forms.IntegerField(
        label="Every how many days",
        required=False,
        min_value=1,
        max_value=366,
        help_text="For “Every N days” only.",
    )
    first_due_at = LocalDateTimeField(
        label="First due", required=False, help_text="For “Every N days”; leave blank for now."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["instrument"].choices = instrument_choices()  # type: ignore[attr-defined]


class InstrumentSettingsForm(forms.Form):
    """The clinic's option values (blank = the definition's default) and licensed item wording."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, instrument: Instrument, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        for option in instrument.options.values():
            default = (
                "no default: the clinic must supply it"
                if option.default is None
                else f"default {option.default}"
            )
            help_text = f"{option.status}; {default}." + (f" {option.note}" if option.note else "")
            name = f"option_{option.id}"
            field: forms.Field
            if option.type == "integer":
                low = None if option.min is None else int(option.min)
                high = None if option.max is None else int(option.max)
                field = forms.IntegerField(required=False, min_value=low, max_value=high)
            elif option.type == "number":
                field = forms.FloatField(required=False, min_value=option.min, max_value=option.max)
            elif option.type == "boolean":
                field = forms.TypedChoiceField(
                    required=False,
                    choices=[("", "Definition default"), ("true", "Yes"), ("false", "No")],
                    coerce=lambda v: v == "true",
                    empty_value=None,
                )
            else:
                field = forms.ChoiceField(
                    required=False, choices=[("", "Definition default"), *[(c, c) for c in option.choices]]
                )
            field.label = option.label
            field.help_text = help_text
            self.fields[name] = field
        for item in instrument.items:
            self.fields[f"text_{item.id}"] = forms.CharField(
                required=False,
                label=f"Wording for item {item.position} ({item.id})",
                help_text=f"Shown instead of: {item.descriptor or item.text}",
                widget=forms.Textarea(attrs={"rows": 2}),
                max_length=1000,
            )

    def options(self) -> dict[str, object]:
        values: dict[str, object] = {}
        for option in self.instrument.options.values():
            value = self.cleaned_data.get(f"option_{option.id}")
            if value not in (None, ""):
                values[option.id] = value
        return values

    def item_texts(self) -> dict[str, str]:
        return {item.id: self.cleaned_data.get(f"text_{item.id}", "") for item in self.instrument.items}

    @staticmethod
    def initial_for(
        instrument: Instrument, options: Mapping[str, object], texts: Mapping[str, str], version: int
    ) -> dict[str, object]:
        initial: dict[str, object] = {"version": version}
        for key, value in options.items():
            initial[f"option_{key}"] = ("true" if value else "false") if isinstance(value, bool) else value
        for key, value in texts.items():
            initial[f"text_{key}"] = value
        return initial
