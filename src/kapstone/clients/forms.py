from __future__ import annotations

from django import forms

from kapstone.clients.models import CareTeamMember, Client


class ClientForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Client
        fields = ("given_name", "family_name", "preferred_name", "pronouns", "date_of_birth", "email", "phone")
        widgets = {"date_of_birth": forms.DateInput(attrs={"type": "date"})}


class CareTeamForm(forms.Form):
    user = forms.ChoiceField(label="Team member")
    team_role = forms.ChoiceField(label="Role on the team", choices=CareTeamMember.TeamRole.choices)

    def __init__(self, *args: object, members: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["user"].choices = [("", "Choose a colleague")] + [(str(pk), label) for pk, label in members]  # type: ignore[attr-defined]
