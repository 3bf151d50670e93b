"""Forms of the community pages: they parse and label; the services decide."""

from __future__ import annotations

import datetime

from django import forms

from kapstone.community.directory_services import CONSENT_CHANNELS, REFERRAL_ELEMENTS
from kapstone.community.models.library import EVIDENCE_LEVELS
from kapstone.community.vocab import LISTING_KINDS, MODALITIES, ROUTES, US_STATES
from kapstone.core.datefields import LocalDateField, LocalDateTimeField


class ListingForm(forms.Form):
    kind = forms.ChoiceField(choices=LISTING_KINDS)
    display_name = forms.CharField(max_length=160, label="Name as it should appear")
    credentials_text = forms.CharField(max_length=160, required=False, label="Degrees (as you write them)")
    state = forms.ChoiceField(choices=(("", "—"), *US_STATES))
    city = forms.CharField(max_length=80, required=False)
    zip3 = forms.CharField(max_length=3, required=False, label="First three digits of the ZIP code")
    telehealth = forms.BooleanField(required=False, label="Offers telehealth")
    accepting = forms.BooleanField(required=False, label="Accepting new clients")
    sliding_scale = forms.BooleanField(required=False, label="Sliding-scale fees")
    insurance = forms.CharField(max_length=200, required=False, label="Insurance accepted")
    routes = forms.MultipleChoiceField(choices=ROUTES, required=False, widget=forms.CheckboxSelectMultiple)
    modalities = forms.MultipleChoiceField(
        choices=MODALITIES, required=False, widget=forms.CheckboxSelectMultiple
    )
    languages = forms.CharField(max_length=200, required=False, help_text="Separated by commas.")
    bio = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 4}))
    certificate_title = forms.CharField(
        max_length=200,
        required=False,
        label="Kapstone certificate to show",
        help_text="Exactly as issued; it is checked against the platform's records every time it is shown.",
    )
    opted_in = forms.BooleanField(required=False, label="Show this listing in the public directory")
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class AttestForm(forms.Form):
    licence_type = forms.CharField(max_length=60, label="Licence type (e.g. LMFT, MD)")
    licence_number = forms.CharField(max_length=40)
    licence_state = forms.ChoiceField(choices=(("", "—"), *US_STATES))


class ReferralForm(forms.Form):
    listing = forms.TypedChoiceField(coerce=int, label="Refer to")
    consent_elements = forms.MultipleChoiceField(
        choices=REFERRAL_ELEMENTS,
        widget=forms.CheckboxSelectMultiple,
        label="What the client consented to share",
        required=False,
    )
    consent_channel = forms.ChoiceField(
        choices=[(c, c.replace("_", " ").capitalize()) for c in CONSENT_CHANNELS],
        label="How consent was given",
    )
    reason = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: object, targets: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["listing"].choices = [("", "—"), *targets]  # type: ignore[attr-defined]


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=(("accept", "Accept"), ("decline", "Decline")))
    note = forms.CharField(max_length=500, required=False)


class WorkshopForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 4}))
    starts_at = LocalDateTimeField(label="Starts (in the workshop's time zone)")
    ends_at = LocalDateTimeField(label="Ends (in the workshop's time zone)")
    time_zone = forms.CharField(
        max_length=64, initial="America/Denver", help_text="An IANA time zone, e.g. America/New_York."
    )
    location = forms.CharField(max_length=300, required=False, help_text="A room or a video link.")
    capacity = forms.IntegerField(min_value=1, max_value=10_000)
    hold_hours = forms.IntegerField(
        min_value=1, max_value=240, initial=24, label="Hours a promoted place is held"
    )
    topics = forms.CharField(
        max_length=500,
        required=False,
        help_text="Requirement topic ids, separated by commas (e.g. co.ethics).",
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def local_times(self) -> tuple[datetime.datetime, datetime.datetime]:
        """The typed wall-clock times, read in the workshop's time zone (not the server's)."""
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        data = self.cleaned_data
        try:
            zone = ZoneInfo(data["time_zone"])
        except (ZoneInfoNotFoundError, ValueError):
            return data["starts_at"], data["ends_at"]
        return (
            data["starts_at"].replace(tzinfo=None).replace(tzinfo=zone),
            data["ends_at"].replace(tzinfo=None).replace(tzinfo=zone),
        )


class SpaceForm(forms.Form):
    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(
        choices=(("organization", "Everyone in the organization"), ("cohort", "A cohort (members only)"))
    )
    description = forms.CharField(max_length=500, required=False)
    members = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Cohort members"
    )

    def __init__(self, *args: object, people: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["members"].choices = people  # type: ignore[attr-defined]


class TopicForm(forms.Form):
    title = forms.CharField(max_length=200)
    body = forms.CharField(
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 8}),
        label="Post (Markdown)",
        help_text="Never write anything that could identify a client. Every post is checked first.",
    )


class PostForm(forms.Form):
    body = forms.CharField(
        max_length=20_000, widget=forms.Textarea(attrs={"rows": 6}), label="Reply (Markdown)"
    )


class PostEditForm(forms.Form):
    body = forms.CharField(
        max_length=20_000, widget=forms.Textarea(attrs={"rows": 8}), label="Post (Markdown)"
    )
    confirm_reviewed = forms.BooleanField(
        required=False, label="I checked what was found: nothing here identifies a client"
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class FlagForm(forms.Form):
    reason = forms.ChoiceField(
        choices=(
            ("client_info", "Contains client information"),
            ("disrespectful", "Disrespectful or harassing"),
            ("spam", "Spam or advertising"),
            ("other", "Something else"),
        )
    )
    note = forms.CharField(max_length=500, required=False)


class MentorProfileForm(forms.Form):
    capacity = forms.IntegerField(min_value=0, max_value=20, initial=2, label="How many mentees you can take")
    specialties = forms.CharField(max_length=300, required=False)
    modalities = forms.MultipleChoiceField(
        choices=MODALITIES, required=False, widget=forms.CheckboxSelectMultiple
    )
    routes = forms.MultipleChoiceField(choices=ROUTES, required=False, widget=forms.CheckboxSelectMultiple)
    languages = forms.CharField(max_length=200, required=False, help_text="Separated by commas.")
    states = forms.CharField(max_length=200, required=False, help_text="State codes, separated by commas.")
    time_zone = forms.CharField(max_length=64, initial="America/Denver")
    availability = forms.CharField(max_length=300, required=False)
    active = forms.BooleanField(required=False, initial=True, label="Taking mentees")


class MentorshipRequestForm(forms.Form):
    wants = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 4}), label="What you would like from a mentor"
    )
    modalities = forms.MultipleChoiceField(
        choices=MODALITIES, required=False, widget=forms.CheckboxSelectMultiple
    )
    routes = forms.MultipleChoiceField(choices=ROUTES, required=False, widget=forms.CheckboxSelectMultiple)
    first = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label="First choice of mentor"
    )
    second = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Second choice")
    third = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Third choice")

    def __init__(self, *args: object, mentors: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for name in ("first", "second", "third"):
            self.fields[name].choices = [("", "No preference"), *mentors]  # type: ignore[attr-defined]


class MeetingForm(forms.Form):
    occurred_on = LocalDateField(label="Date")
    minutes = forms.IntegerField(min_value=5, max_value=480)
    topic = forms.CharField(max_length=200, label="What you discussed (no client identifiers)")


class ResourceForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 4}))
    file = forms.FileField(
        required=False, help_text="A PDF or an image (PNG, JPEG, GIF, WebP), checked by its content."
    )
    url = forms.URLField(required=False, max_length=500, label="Or a link", assume_scheme="https")
    tags = forms.CharField(max_length=300, required=False, help_text="Separated by commas.")
    evidence_level = forms.ChoiceField(choices=EVIDENCE_LEVELS)
    visibility = forms.ChoiceField(
        choices=(("organization", "My organization"), ("public", "Every Kapstone member"))
    )
