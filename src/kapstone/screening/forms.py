from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from kapstone.screening.engine import INSUFFICIENT
from kapstone.screening.models import Clearance, ScreeningEvaluation
from kapstone.screening.ruleset import RuleSet, format_value


class SubmitForm(forms.Form):
    note = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Note for the prescriber (optional)",
    )


class ClearanceForm(forms.Form):
    decision = forms.ChoiceField(
        choices=Clearance.Decision.choices, widget=forms.RadioSelect, required=False, label="Decision"
    )
    conditions = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Conditions (for 'cleared with conditions')",
    )
    note = forms.CharField(
        required=False,
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Note for the care team",
    )

    def __init__(
        self, *args: Any, evaluation: ScreeningEvaluation, flagged: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.flagged = flagged
        if evaluation.outcome == INSUFFICIENT or evaluation.result.get("missing_facts"):
            # Only the decision that is possible: an incomplete screening cannot be cleared.
            decision = self.fields["decision"]
            assert isinstance(decision, forms.ChoiceField)
            decision.choices = [(Clearance.Decision.DECLINED.value, Clearance.Decision.DECLINED.label)]
            decision.help_text = (
                "Clearing is not possible: the screening is incomplete. Decline, or ask for the intake "
                "to be completed and screened again."
            )
        if evaluation.outcome == "contraindicated":
            self.fields["override_reason"] = forms.CharField(
                required=False,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 3}),
                label="Override reason (required to clear a contraindicated screening)",
            )
        for rule in flagged:
            self.fields[f"attest_{rule['id']}"] = forms.BooleanField(
                required=False, label=f"I have weighed: {rule['title']}"
            )
            self.fields[f"attest_note_{rule['id']}"] = forms.CharField(
                required=False, max_length=2000, label=f"Note on {rule['title']} (optional)"
            )

    def attestation_rows(self) -> list[tuple[dict[str, Any], forms.BoundField, forms.BoundField]]:
        return [(r, self[f"attest_{r['id']}"], self[f"attest_note_{r['id']}"]) for r in self.flagged]

    def service_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if not k.startswith("attest")}
        data["attestations"] = {
            r["id"]: self.cleaned_data.get(f"attest_note_{r['id']}", "")
            for r in self.flagged
            if self.cleaned_data.get(f"attest_{r['id']}")
        }
        return data


class RuleSetForm(forms.Form):
    toml_text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "false", "class": "code"}),
        label="Rule set (TOML)",
        strip=False,
    )
    note = forms.CharField(required=False, max_length=2000, label="What changed and why")


class ScreeningSettingsForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    clearance_valid_days = forms.IntegerField(
        required=False,
        min_value=1,
        label="Medical clearance stays current for (days)",
    )
    measure_max_age_days = forms.IntegerField(
        required=False,
        min_value=1,
        label="PHQ-9 / C-SSRS results count as screening facts for (days)",
    )

    def __init__(self, *args: Any, ruleset: RuleSet, default_days: tuple[int, int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ruleset = ruleset
        self.fields["clearance_valid_days"].help_text = f"Empty: the default, {default_days[0]} days."
        self.fields["measure_max_age_days"].help_text = f"Empty: the default, {default_days[1]} days."
        for name, setting in ruleset.settings.items():
            unit = f" ({setting.unit})" if setting.unit else ""
            help_text = (
                f"Default {format_value(setting.default)}{unit}. Status: {setting.status}. {setting.note} "
                f"Sources: {', '.join(setting.source)}."
            )
            field: forms.Field
            if setting.type == "integer":
                field = forms.IntegerField(
                    required=False, label=f"{setting.label}{unit}", help_text=help_text
                )
            else:
                field = forms.DecimalField(
                    required=False, label=f"{setting.label}{unit}", help_text=help_text
                )
            self.fields[f"setting_{name}"] = field

    def setting_fields(self) -> list[forms.BoundField]:
        return [self[f"setting_{name}"] for name in self.ruleset.settings]

    def overrides(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for name in self.ruleset.settings:
            value = self.cleaned_data.get(f"setting_{name}")
            if value is None:
                continue
            if isinstance(value, Decimal):
                value = int(value) if value == int(value) else float(value)
            out[name] = value
        return out
