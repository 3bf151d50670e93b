"""The roles a staff member holds in an organization.

They live in the ground's lowest app because everything below the accounts app reads them: the
access policy maps each action to the roles that may take it, the labels and the shell name them.
``kapstone.accounts.models`` re-exports ``Role`` for the membership rows that store one.
"""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    ORG_ADMIN = "org_admin", "Organization admin"
    THERAPIST = "therapist", "Therapist"
    PRESCRIBER = "prescriber", "Prescriber"
    SUPERVISOR = "supervisor", "Supervisor"
    TRAINEE = "trainee", "Trainee"
