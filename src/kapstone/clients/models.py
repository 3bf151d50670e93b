"""The client record and the care team that may see it."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from kapstone.accounts.models import Organization
from kapstone.clients.hooks import intake_facts


class Client(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="clients")
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    portal_user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="client_record",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Optimistic concurrency: a save names the version it read; a stale one is refused.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["organization", "family_name", "given_name"], name="client_org_name")
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.given_name
        return f"{first} {self.family_name}".strip()


class CareTeamMember(models.Model):
    class TeamRole(models.TextChoices):
        THERAPIST = "therapist", "Therapist"
        PRESCRIBER = "prescriber", "Prescriber"
        SUPERVISOR = "supervisor", "Supervisor"
        TRAINEE = "trainee", "Trainee"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="care_team")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="care_teams")
    team_role = models.CharField(max_length=20, choices=TeamRole.choices)
    added_at = models.DateTimeField(default=timezone.now)
    # For a trainee: the supervisor responsible for their work with this client.
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["client", "user", "team_role"], name="careteam_unique_member_role"
            )
        ]
        indexes: ClassVar = [models.Index(fields=["user", "client"], name="careteam_user_client")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_team_role_display()}) for client {self.client_id}"


class BreakGlassGrant(models.Model):
    """Emergency access (break-glass, 45 CFR 164.312(a)(2)(ii)): a clinician of the organization who
    is not on the client's care team opened the record for the reason given, verbatim, until
    ``expires_at``. The organization's admin reviews every grant (kapstone.clients.breakglass)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="break_glass_grants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    notified = models.PositiveIntegerField(default=0)  # people the immediate notice was mailed to
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_comment = models.TextField(blank=True)

    class Meta:
        indexes: ClassVar = [
            models.Index(fields=["user", "expires_at"], name="breakglass_user_expires"),
            models.Index(fields=["organization", "reviewed_at"], name="breakglass_org_reviewed"),
        ]

    def __str__(self) -> str:
        return f"Emergency access {self.pk} to client {self.client_id} by user {self.user_id}"

    @property
    def is_active(self) -> bool:
        return self.granted_at <= timezone.now() < self.expires_at


def break_glass_clients(user_id: int, organization_id: int) -> models.QuerySet[BreakGlassGrant, Any]:
    """The ids of the clients ``user_id`` holds an unexpired emergency grant for (a subquery)."""
    now = timezone.now()
    return BreakGlassGrant.objects.filter(
        user_id=user_id, organization_id=organization_id, granted_at__lte=now, expires_at__gt=now
    ).values("client_id")


# --------------------------------------------------------------------------------------------------
# Intake: what the KAP team must know before screening (clinical.md §5.3). A yes/no question left
# unanswered is stored as NULL ("not known yet"), never as "no": the screening engine treats an
# unknown fact as insufficient information, not as a pass.
# --------------------------------------------------------------------------------------------------

SEX_AT_BIRTH_CHOICES = [("female", "Female"), ("male", "Male"), ("intersex", "Intersex")]
HEPATIC_CHOICES = [("none", "None"), ("mild", "Mild"), ("moderate", "Moderate (Child-Pugh B)"),
                   ("severe", "Severe (Child-Pugh C)")]  # fmt: skip
PRODUCT_CHOICES = [("esketamine", "Esketamine (e.g. SPRAVATO)"), ("racemic_ketamine", "Racemic ketamine")]
ROUTE_CHOICES = [
    ("intranasal", "Intranasal"),
    ("intravenous", "Intravenous"),
    ("intramuscular", "Intramuscular"),
    ("sublingual", "Sublingual"),
    ("buccal", "Buccal"),
    ("oral", "Oral"),
]

# Yes/no history questions, in form order: (field = the screening fact's key in ``history``, label).
PSYCHIATRIC_HISTORY = (
    ("psychosis", "Psychosis (ever, including psychotic features of a mood episode)"),
    ("schizophrenia_spectrum", "Schizophrenia-spectrum or psychotic bipolar disorder"),
    ("mania", "Mania or hypomania (ever)"),
    (
        "current_psychotic_symptoms",
        "Psychotic symptoms NOW (hallucinations, delusions, disorganised thinking)",
    ),
    ("current_manic_symptoms", "Manic or hypomanic symptoms NOW"),
    ("family_history_psychosis", "Psychosis in a first-degree relative"),
    ("substance_use_disorder", "Substance use disorder, including alcohol (ever)"),
    ("ketamine_misuse", "Ketamine or PCP misuse (more than rare recreational use)"),
)
MEDICAL_HISTORY = (
    ("cardiovascular_disease", "Significant cardiovascular disease (ischaemic heart disease, heart failure, "
                               "arrhythmia, poorly controlled hypertension)"),
    ("aneurysmal_vascular_disease", "Aneurysmal vascular disease (aorta, intracranial or peripheral)"),
    ("arteriovenous_malformation", "Arteriovenous malformation"),
    ("intracerebral_hemorrhage", "Intracerebral haemorrhage (ever)"),
    ("cerebrovascular_event", "Stroke or TIA (ever)"),
    ("hypertensive_encephalopathy", "Hypertensive encephalopathy (ever)"),
    ("raised_intracranial_pressure", "Raised intracranial pressure or intracranial mass"),
    ("raised_intraocular_pressure", "Raised intraocular pressure (e.g. glaucoma)"),
    ("open_eye_injury", "Open (penetrating) eye injury"),
    ("seizure", "Seizures or seizure disorder"),
    ("sleep_apnoea", "Sleep apnoea"),
    ("cystitis_or_urological_symptoms", "Cystitis or urinary symptoms (pain, frequency, urgency, blood)"),
    ("uncontrolled_hyperthyroidism", "Untreated or uncontrolled hyperthyroidism"),
    ("traumatic_brain_injury", "Symptomatic traumatic brain injury"),
    ("neurocognitive_disorder", "Neurocognitive disorder (e.g. dementia)"),
)  # fmt: skip
REPRODUCTIVE = (
    ("pregnant", "Pregnant (or pregnancy not excluded)"),
    ("lactating", "Breastfeeding or expressing milk"),
    ("contraception", "Uses effective contraception"),
)
ALLERGY_FLAGS = (
    ("allergy_ketamine", "Hypersensitivity to ketamine"),
    ("allergy_esketamine", "Hypersensitivity to esketamine or its excipients"),
)
HISTORY_FIELDS = tuple(name for name, _ in PSYCHIATRIC_HISTORY + MEDICAL_HISTORY)


def _yes_no(label: str) -> models.BooleanField[bool | None, bool | None]:
    return models.BooleanField(label, null=True, blank=True, help_text="'Not known yet' until asked.")


class Intake(models.Model):
    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="intake")
    # Demographics beyond the client record
    sex_at_birth = models.CharField(max_length=10, choices=SEX_AT_BIRTH_CHOICES, blank=True)
    gender_identity = models.CharField(max_length=100, blank=True)
    preferred_language = models.CharField(max_length=60, blank=True)
    address = models.TextField(blank=True)
    # Contacts
    emergency_contact_name = models.CharField(max_length=120, blank=True)
    emergency_contact_relationship = models.CharField(max_length=60, blank=True)
    emergency_contact_phone = models.CharField(max_length=40, blank=True)
    support_person_name = models.CharField(max_length=120, blank=True)
    support_person_relationship = models.CharField(max_length=60, blank=True)
    support_person_phone = models.CharField(max_length=40, blank=True)
    existing_therapist = models.CharField(max_length=200, blank=True)
    referral_source = models.CharField(max_length=200, blank=True)
    # Why they came
    presenting_concerns = models.TextField(blank=True)
    goals = models.TextField(blank=True)
    diagnosis = models.CharField("Diagnosis / indication", max_length=200, blank=True)
    # Psychiatric history
    psychosis = _yes_no("Psychosis")
    schizophrenia_spectrum = _yes_no("Schizophrenia-spectrum disorder")
    mania = _yes_no("Mania or hypomania")
    # Current state, distinct from lifetime history (issue #11): asked at intake and again pre-dose.
    current_psychotic_symptoms = _yes_no("Current psychotic symptoms")
    current_manic_symptoms = _yes_no("Current manic or hypomanic symptoms")
    family_history_psychosis = _yes_no("Family history of psychosis")
    substance_use_disorder = _yes_no("Substance use disorder")
    ketamine_misuse = _yes_no("Ketamine misuse")
    substance_use_notes = models.TextField(blank=True)
    prior_psychedelic_use = _yes_no("Prior psychedelic use")
    prior_psychedelic_notes = models.TextField(blank=True)
    psychiatric_notes = models.TextField(blank=True)
    # Medical history
    cardiovascular_disease = _yes_no("Cardiovascular disease")
    aneurysmal_vascular_disease = _yes_no("Aneurysmal vascular disease")
    arteriovenous_malformation = _yes_no("Arteriovenous malformation")
    intracerebral_hemorrhage = _yes_no("Intracerebral haemorrhage")
    cerebrovascular_event = _yes_no("Stroke or TIA")
    hypertensive_encephalopathy = _yes_no("Hypertensive encephalopathy")
    raised_intracranial_pressure = _yes_no("Raised intracranial pressure")
    raised_intraocular_pressure = _yes_no("Raised intraocular pressure")
    open_eye_injury = _yes_no("Open eye injury")
    seizure = _yes_no("Seizures")
    sleep_apnoea = _yes_no("Sleep apnoea")
    cystitis_or_urological_symptoms = _yes_no("Cystitis or urinary symptoms")
    uncontrolled_hyperthyroidism = _yes_no("Uncontrolled hyperthyroidism")
    traumatic_brain_injury = _yes_no("Traumatic brain injury")
    neurocognitive_disorder = _yes_no("Neurocognitive disorder")
    hepatic_impairment = models.CharField(max_length=10, choices=HEPATIC_CHOICES, blank=True)
    medical_notes = models.TextField(blank=True)
    # Pregnancy, lactation, contraception
    pregnant = _yes_no("Pregnant")
    lactating = _yes_no("Lactating")
    contraception = _yes_no("Contraception")
    # Allergies
    allergy_ketamine = _yes_no("Ketamine hypersensitivity")
    allergy_esketamine = _yes_no("Esketamine hypersensitivity")
    other_allergies = models.TextField(blank=True)
    # Medications: rows below; this says the list is complete (an empty complete list means "none")
    medications_reviewed = models.BooleanField(default=False)
    # Baseline vitals
    bp_systolic = models.PositiveSmallIntegerField("Systolic BP (mmHg)", null=True, blank=True)
    bp_diastolic = models.PositiveSmallIntegerField("Diastolic BP (mmHg)", null=True, blank=True)
    heart_rate = models.PositiveSmallIntegerField("Heart rate (beats/min)", null=True, blank=True)
    weight_kg = models.DecimalField("Weight (kg)", max_digits=5, decimal_places=1, null=True, blank=True)
    vitals_taken_at = models.DateTimeField(null=True, blank=True)
    # The plan the prescriber is considering
    product = models.CharField(max_length=20, choices=PRODUCT_CHOICES, blank=True)
    route = models.CharField(max_length=20, choices=ROUTE_CHOICES, blank=True)
    # Bookkeeping: optimistic concurrency as on Client
    version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"Intake for client {self.client_id} (v{self.version})"

    def clean(self) -> None:
        """Refuse what the screening engine would refuse (implausible vitals, a lactating client
        recorded male, ...), with the pure core's own bounds and messages, by field."""
        intake_facts().validate(self, medications=None)


class IntakeMedication(models.Model):
    intake = models.ForeignKey(Intake, on_delete=models.CASCADE, related_name="medications")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=120)
    classes = models.JSONField(default=list, help_text="Medication classes (see screening FACTS.md).")
    dose = models.CharField(max_length=120, blank=True, help_text="As taken, e.g. '1 mg twice daily'.")
    diazepam_equivalent_mg_per_day = models.DecimalField(
        max_digits=6, decimal_places=2, null=True, blank=True,
        help_text="Benzodiazepines only: the daily dose in diazepam equivalents.",
    )  # fmt: skip

    class Meta:
        ordering = ("position", "pk")

    def __str__(self) -> str:
        return self.name


class CarePreferences(models.Model):
    """The client's choices for their sessions, in their words (trauma-informed: choice, voice)."""

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="preferences")
    music = models.TextField(blank=True, help_text="Music or silence; a playlist; anything to avoid.")
    touch_preference = models.TextField(
        blank=True, help_text="In the client's words; touch is only used under a signed touch opt-in."
    )
    people_present = models.TextField(blank=True, help_text="Who the client wants present, or not present.")
    staff_gender_preference = models.CharField(max_length=100, blank=True)
    other = models.TextField("Anything else", blank=True)
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_via = models.CharField(max_length=12, blank=True)  # "portal" or "staff"

    def __str__(self) -> str:
        return f"Preferences of client {self.client_id}"


# --------------------------------------------------------------------------------------------------
# Consent
# --------------------------------------------------------------------------------------------------


class ConsentTemplate(models.Model):
    """A clinic's version of the KAP consent template (TOML text). Without an active one the
    shipped default (clients/consent/default_kap_consent.toml) applies."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="consent_templates")
    template_id = models.CharField(max_length=60)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    text = models.TextField()
    sha256 = models.CharField(max_length=64)
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    is_active = models.BooleanField(default=False)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organization", "template_id", "version"],
                                    name="consenttemplate_unique_version"),
            models.UniqueConstraint(fields=["organization"], condition=models.Q(is_active=True),
                                    name="consenttemplate_one_active"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.template_id} v{self.version}"


class ConsentRecord(models.Model):
    class Channel(models.TextChoices):
        PORTAL = "portal", "Signed in the portal"
        IN_PERSON = "in_person", "Signed in person"

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="consents")
    clinic_template = models.ForeignKey(
        ConsentTemplate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="records",
        help_text="Empty: the shipped default template.",
    )
    template_id = models.CharField(max_length=60)
    template_version = models.PositiveIntegerField()
    template_sha256 = models.CharField(max_length=64)
    template_snapshot = models.JSONField(help_text="The text the client saw.")
    signed_name = models.CharField(max_length=200)
    signed_at = models.DateTimeField()
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    channel = models.CharField(max_length=12, choices=Channel.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    witnessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Separate opt-ins
    touch = models.BooleanField(default=False)
    touch_scope = models.TextField(blank=True)
    touch_stop_signal = models.CharField(max_length=200, blank=True)
    recording = models.BooleanField(default=False)
    observers = models.BooleanField(default=False)
    observer_names = models.JSONField(default=list, blank=True)
    at_home = models.BooleanField(default=False)
    chaperone_name = models.CharField(max_length=120, blank=True)
    research = models.BooleanField(default=False)
    # Ending: withdrawn by the client (or staff on their word), or replaced by a newer signature
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawal_reason = models.TextField(blank=True)
    withdrawal_channel = models.CharField(max_length=12, choices=Channel.choices, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["client", "signed_at"], name="consent_client_signed")]

    def __str__(self) -> str:
        return f"Consent {self.template_id} v{self.template_version} for client {self.client_id}"

    @property
    def is_open(self) -> bool:
        """Neither withdrawn nor replaced (it may still be for an old template version)."""
        return self.withdrawn_at is None and self.superseded_at is None
