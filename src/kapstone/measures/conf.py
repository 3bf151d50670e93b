"""Measurement settings, each with a default so the app works with no configuration.

Read through ``getattr`` so a deployment may set them in the environment-driven settings module
without this app needing to edit it.
"""

from __future__ import annotations

from django.conf import settings


def portal_link_days() -> int:
    """How long a questionnaire link stays usable."""
    return int(getattr(settings, "KAPSTONE_PORTAL_LINK_DAYS", 7))


def fhir_base() -> str:
    """The FHIR base every canonical URL and local code system of this deployment hangs off
    (``KAPSTONE_FHIR_BASE``; default: the site URL + ``/api/fhir``, where the reads answer)."""
    configured = str(getattr(settings, "KAPSTONE_FHIR_BASE", "") or "").strip()
    return (configured or f"{settings.SITE_URL}/api/fhir").rstrip("/")


def caseload_instruments() -> tuple[str, ...]:
    """The key instruments the caseload shows a column for (ids; missing ones are skipped)."""
    return tuple(getattr(settings, "KAPSTONE_CASELOAD_INSTRUMENTS", ("phq9", "gad7", "pcl5")))


# A response this long before an event-triggered due time still satisfies it (a client who fills
# the after-dosing questionnaire a little early is not asked again).
EVENT_EARLY_HOURS = 12
# A clinician may back-date a measure but not record one in the future (clock skew allowed).
FUTURE_TOLERANCE_MINUTES = 5
ACTION_TAKEN_MAX = 4000
