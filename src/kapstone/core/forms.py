from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from kapstone.core.localtime import CLOCKS, zone_choices


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form, by field where the form has that field.

    The form keeps what the person typed: the view re-renders the same bound form.
    """
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields and field != NON_FIELD_ERRORS else None, errors)


class TimeSettingsForm(forms.Form):
    """A time zone and a clock; ``inherit`` adds the "as my organization" choice for a person."""

    time_zone = forms.ChoiceField(label="Time zone")
    clock = forms.ChoiceField(label="Clock")

    def __init__(self, *args: object, inherit: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        same = [("", "As my organization")] if inherit else []
        zone = self.fields["time_zone"]
        clock = self.fields["clock"]
        assert isinstance(zone, forms.ChoiceField) and isinstance(clock, forms.ChoiceField)
        zone.choices = [*same, *zone_choices()]
        clock.choices = [*same, *CLOCKS]
        zone.required = clock.required = not inherit
