from __future__ import annotations

from django import forms

from kapstone.accounts.models import Role

# Our email columns hold 254 characters (RFC 5321 path limit); forms.EmailField would accept 320, which
# PostgreSQL then refuses with an error page instead of a message.
EMAIL_MAX = 254


class SignInForm(forms.Form):
    email = forms.EmailField(
        label="Email",
        max_length=EMAIL_MAX,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label="Password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app, or a recovery code",
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class EnrolForm(forms.Form):
    code = forms.CharField(
        label="The 6-digit code your app shows now",
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=EMAIL_MAX)
    role = forms.ChoiceField(label="Role", choices=Role.choices)


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(label="Your full name", max_length=200)
    password = forms.CharField(
        label="Choose a password (12 characters or more)",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        required=False,
        help_text="Leave empty if you already have a Kapstone account with this email address.",
    )
