"""People, organizations and who holds which role where.

A person signs in with an email address. Staff act in organizations through memberships (one row per
role held); a client signs in only to the portal, and is never a member of an organization.
"""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from kapstone.core.localtime import CLOCKS, DEFAULT_ZONE, H24, validate_time_zone
from kapstone.core.roles import Role as Role  # re-exported: the memberships store one


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: object) -> User:
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save()
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: object) -> User:
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    class Kind(models.TextChoices):
        STAFF = "staff", "Staff"
        CLIENT = "client", "Client (portal)"

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.STAFF)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # Optional: this person's own time zone and clock, over their organization's (kapstone.core.localtime).
    time_zone = models.CharField(max_length=64, blank=True, validators=[validate_time_zone])
    clock = models.CharField(max_length=3, blank=True, choices=CLOCKS)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["full_name"]

    class Meta:
        constraints: ClassVar = [
            models.CheckConstraint(condition=models.Q(email=Lower("email")), name="user_email_lower"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def is_staff_member(self) -> bool:
        return self.kind == self.Kind.STAFF

    @property
    def is_portal_client(self) -> bool:
        return self.kind == self.Kind.CLIENT


class Organization(models.Model):
    class Kind(models.TextChoices):
        CLINIC = "clinic", "Clinic"
        TRAINING = "training", "Training program"
        BOTH = "both", "Clinic and training program"

    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CLINIC)
    is_demo = models.BooleanField(default=False, help_text="Fictional demonstration data.")
    created_at = models.DateTimeField(default=timezone.now)
    # Every time on its pages is shown in this zone and clock, unless a person chose their own.
    time_zone = models.CharField(max_length=64, default=DEFAULT_ZONE, validators=[validate_time_zone])
    clock = models.CharField(max_length=3, choices=CLOCKS, default=H24)

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """One role a person holds in one organization."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["user", "organization", "role"], name="membership_unique_role"),
        ]
        indexes: ClassVar = [models.Index(fields=["user", "is_active"], name="membership_user_active")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.organization}"


class Invitation(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=20, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Invitation of {self.email} as {self.role}"

    def is_open(self, now: object = None) -> bool:
        moment = now or timezone.now()
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > moment  # type: ignore[operator]


class TOTPDevice(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="totp_device")
    secret = models.CharField(max_length=64)
    confirmed_at = models.DateTimeField()
    # The last accepted 30-second step: a code is single use (ASVS 6.5.1).
    last_used_step = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Authenticator of user {self.user_id}"


class RecoveryCode(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=128)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Recovery code of user {self.user_id}{' (used)' if self.used_at else ''}"


class LoginFailure(models.Model):
    """A failed sign-in, kept in the database so throttling holds across workers and servers."""

    email = models.CharField(max_length=254, db_index=True)
    source_ip = models.GenericIPAddressField(null=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    # The account aimed at, when one has this address: its organizations' admins see the attempt.
    user = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # The known-device id of the browser, when it carried one (kapstone.accounts.devices).
    device = models.CharField(max_length=32, blank=True)
    # Set when the person then signed in from the same browser or address: no longer counted.
    cleared = models.BooleanField(default=False)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["user", "at"], name="loginfailure_user_at")]

    def __str__(self) -> str:
        return f"Failed sign-in for {self.email} at {self.at:%Y-%m-%d %H:%M}"


class UserSession(models.Model):
    """The sessions a user holds, so deactivation and sign-out everywhere can end them."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    source_ip = models.GenericIPAddressField(null=True)

    def __str__(self) -> str:
        return f"Session of user {self.user_id} since {self.created_at:%Y-%m-%d %H:%M}"


class Passkey(models.Model):
    """A WebAuthn credential a staff member registered as a second factor beside their authenticator app
    (kapstone.accounts.passkeys). Only its public key is kept; the private key never leaves the device."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="passkeys")
    name = models.CharField(max_length=80)
    credential_id = models.BinaryField(max_length=1023, unique=True)
    public_key = models.BinaryField()
    # The authenticator's signature counter: a response that does not move it on is refused (a clone).
    sign_count = models.BigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Passkey {self.name!r} of user {self.user_id}"
