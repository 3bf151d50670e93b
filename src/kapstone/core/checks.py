"""System checks with stable ids for dangerous configuration."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Info, Tags, Warning, register
from django.db import connections


@register(Tags.security, deploy=True)
def production_settings(app_configs: Any, **kwargs: Any) -> list[Error]:
    errors: list[Error] = []
    if settings.TIME_ZONE != "UTC":
        errors.append(Error("TIME_ZONE must be 'UTC': audit times are UTC.", id="kapstone.E001"))
    if not settings.CONTENT_SECURITY_POLICY.get("DIRECTIVES"):
        errors.append(Error("CONTENT_SECURITY_POLICY has no directives.", id="kapstone.E002"))
    if settings.PRODUCTION and settings.EMAIL_BACKEND.endswith(
        ("console.EmailBackend", "filebased.EmailBackend")
    ):
        errors.append(Error("KAPSTONE_EMAIL_BACKEND must send real mail in production.", id="kapstone.E003"))
    if settings.PRODUCTION and not settings.KAPSTONE_MFA_REQUIRED_FOR_STAFF:
        errors.append(
            Error("KAPSTONE_MFA_REQUIRED_FOR_STAFF must stay on in production.", id="kapstone.E004")
        )
    return errors


@register(Tags.database)
def sqlite_durability(app_configs: Any, databases: Any = None, **kwargs: Any) -> list[Warning]:
    """WAL + synchronous=FULL on SQLite, or clinical writes can be lost on power failure."""
    if not databases or "default" not in databases or connections["default"].vendor != "sqlite":
        return []
    with connections["default"].cursor() as cursor:
        journal = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        synchronous = cursor.execute("PRAGMA synchronous").fetchone()[0]
    warnings = []
    if str(journal).lower() != "wal" and connections["default"].settings_dict["NAME"] != ":memory:":
        warnings.append(Warning(f"SQLite journal_mode is {journal}, not WAL.", id="kapstone.W001"))
    if int(synchronous) < 2:
        warnings.append(
            Warning(f"SQLite synchronous={synchronous}; FULL (2) is required.", id="kapstone.W002")
        )
    return warnings


@register(Tags.database)
def read_audit_commit(app_configs: Any, **kwargs: Any) -> list[Info]:
    """Say so when reads' audit rows commit without waiting for the disk (an operator's choice)."""
    if settings.KAPSTONE_READ_AUDIT_COMMIT != "relaxed":
        return []
    return [
        Info(
            "KAPSTONE_READ_AUDIT_COMMIT=relaxed: a power failure may lose the newest read-audit rows "
            "(who viewed what; PostgreSQL: about the last 0.6 s, SQLite: those since the last write "
            "or WAL checkpoint). Clinical writes, their audit rows and denials stay durable.",
            hint="Unset it (durable) unless the server has power protection and the speed is needed.",
            id="kapstone.I001",
        )
    ]
