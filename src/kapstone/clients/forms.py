from __future__ import annotations

from django import forms

from kapstone.clients.models import CareTeamMember, Client
from kapstone.core.datefields import LocalDateField


class ClientForm(forms.ModelForm[Client]):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Client
        fields = (
            "given_name", "family_name", "preferred_name", "pronouns", "date_of_birth", "email", "phone",
        )  # fmt: skip
        field_classes = {"date_of_birth": LocalDateField}  # the clinic's date format, not the browser's


class CareTeamForm(forms.Form):
    user = forms.ChoiceField(label="Team member")
    team_role = forms.ChoiceField(label="Role on the team", choices=CareTeamMember.TeamRole.choices)
    supervisor = forms.ChoiceField(
        label="Supervisor (for a trainee)", required=False,
        help_text="A trainee works with this client under this supervisor, who should be on the team too.",
    )  # fmt: skip

    def __init__(self, *args: object, members: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        people = [(str(pk), label) for pk, label in members]
        self.fields["user"].choices = [("", "Choose a colleague"), *people]  # type: ignore[attr-defined]
        self.fields["supervisor"].choices = [("", "None"), *people]  # type: ignore[attr-defined]
