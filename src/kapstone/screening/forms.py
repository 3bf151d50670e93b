from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.forms.boundfield import BoundWidget

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


OVERRIDE = "override"
OVERRIDE_LABEL = "Override the contraindication and clear this client (a documented reason is required)"


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
        self.override_offered = False
        self.offered: list[tuple[str, str]] = []
        if evaluation.outcome == "contraindicated":
            # No plain "Cleared": decline, or (complete screenings only) the prescriber override the
            # rule set's contraindicated level allows, as its own choice that needs a reason. The
            # other values still validate so the service, not the form, refuses them by name.
            self.override_offered = not (
                evaluation.outcome == INSUFFICIENT or evaluation.result.get("missing_facts")
            )
            decision = self.fields["decision"]
            assert isinstance(decision, forms.ChoiceField)
            offered: list[tuple[str, str]] = [(Clearance.Decision.DECLINED.value, "Decline: not cleared")]
            if self.override_offered:
                offered.append((OVERRIDE, OVERRIDE_LABEL))
                decision.choices = [*offered, *Clearance.Decision.choices[:2]]
            else:
                decision.choices = offered
            self.offered = offered
            self.fields["override_reason"] = forms.CharField(
                required=False,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 3}),
                label="Your reason for overriding the contraindication",
                help_text="Required for the override; stored with the clearance, shown to the care team.",
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

    def offered_choices(self) -> list[BoundWidget]:
        """The radio buttons a contraindicated screening offers (the override one apart)."""
        shown = {value for value, _ in self.offered if value != OVERRIDE}
        return [radio for radio in self["decision"] if radio.data["value"] in shown]

    def override_choice(self) -> list[BoundWidget]:
        return [radio for radio in self["decision"] if radio.data["value"] == OVERRIDE]

    def service_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if not k.startswith("attest")}
        if data.get("decision") == OVERRIDE:  # the override clears, with conditions if any were given
            conditional = bool(str(data.get("conditions") or "").strip())
            data["decision"] = (
                Clearance.Decision.CLEARED_WITH_CONDITIONS if conditional else Clearance.Decision.CLEARED
            ).value
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
