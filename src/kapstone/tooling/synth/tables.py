"""The tables a load writes: columns read from the models, constants filled from their defaults."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

# --- tables: columns from the models, constants filled from their defaults ---------------------------


@dataclass
class Table:
    """One model's table: the generated columns first, then every other column with a constant."""

    model: type[models.Model]
    varying: tuple[str, ...]
    name: str = ""
    columns: tuple[str, ...] = ()
    constants: tuple[Any, ...] = ()

    def prepare(self, conn: BaseDatabaseWrapper, anchor: datetime) -> None:
        self.name = self.model._meta.db_table
        rest, values = [], []
        for f in self.model._meta.concrete_fields:
            if f.attname in self.varying:
                continue
            rest.append(f.column)
            values.append(_constant(f, conn, anchor))
        names = {f.attname: f.column for f in self.model._meta.concrete_fields}
        self.columns = tuple(names[a] for a in self.varying) + tuple(rest)
        self.constants = tuple(values)


def _constant(f: models.Field[Any, Any], conn: BaseDatabaseWrapper, anchor: datetime) -> Any:
    if isinstance(f, models.DateTimeField) and f.has_default():
        return datetime_writer(conn)(anchor)  # not "now": the same seed and anchor give the same rows
    if f.has_default():
        value = f.get_default()
    elif f.null:
        return None
    elif isinstance(f, models.CharField | models.TextField):
        value = ""
    else:
        raise ValueError(f"synth: {f.model.__name__}.{f.name} needs a value")
    if isinstance(f, models.JSONField):
        return json.dumps(value)
    if isinstance(f, models.DateTimeField):
        return datetime_writer(conn)(value.replace(tzinfo=None) if value is not None else None)
    if isinstance(f, models.BooleanField):
        return bool_writer(conn)(value)
    return value


def datetime_writer(conn: BaseDatabaseWrapper) -> Callable[[datetime | None], str | None]:
    if conn.vendor == "postgresql":
        return lambda v: None if v is None else v.isoformat(" ") + "+00:00"
    return lambda v: None if v is None else v.isoformat(" ")


def bool_writer(conn: BaseDatabaseWrapper) -> Callable[[Any], Any]:
    if conn.vendor == "postgresql":
        return lambda v: bool(v)
    return lambda v: 1 if v else 0


def model_tables() -> dict[str, Table]:
    m = apps.get_model
    return {
        "org": Table(m("accounts", "Organization"), ("id", "name", "slug", "kind", "created_at")),
        "user": Table(m("accounts", "User"), ("id", "password", "email", "full_name", "date_joined")),
        "membership": Table(m("accounts", "Membership"), ("id", "user_id", "organization_id", "role")),
        "protocol": Table(
            m("care", "ProtocolVersion"),
            (
                "id",
                "organization_id",
                "protocol_id",
                "version",
                "title",
                "route",
                "product",
                "origin",
                "text",
                "sha256",
                "note",
            ),
        ),
        "client": Table(
            m("clients", "Client"),
            ("id", "organization_id", "given_name", "family_name", "date_of_birth", "email", "created_at"),
        ),
        "team": Table(
            m("clients", "CareTeamMember"), ("id", "client_id", "user_id", "team_role", "supervisor_id")
        ),
        "course": Table(
            m("care", "Course"),
            (
                "id",
                "organization_id",
                "client_id",
                "protocol_id",
                "protocol_key",
                "protocol_version",
                "status",
                "indication",
                "prescriber_id",
                "started_at",
                "started_by_id",
            ),
        ),
        "session": Table(
            m("care", "CareSession"),
            (
                "id",
                "organization_id",
                "client_id",
                "course_id",
                "kind",
                "status",
                "number",
                "scheduled_at",
                "started_at",
                "ended_at",
                "lead_id",
                "created_by_id",
                "created_at",
            ),
        ),
        "dosing": Table(
            m("care", "DosingDetail"),
            ("id", "session_id", "weight_kg", "decision", "discharged_at", "discharged_by_id", "left_with"),
        ),
        "dose": Table(
            m("care", "DoseRecord"),
            (
                "id",
                "session_id",
                "route",
                "formulation",
                "product",
                "amount_mg",
                "weight_kg",
                "mg_per_kg",
                "given_at",
                "given_by_id",
                "level",
                "recorded_by_id",
                "recorded_at",
            ),
        ),
        "vitals": Table(
            m("care", "VitalReading"),
            (
                "id",
                "session_id",
                "phase",
                "taken_at",
                "systolic",
                "diastolic",
                "heart_rate",
                "spo2",
                "respiratory_rate",
                "recorded_by_id",
                "recorded_at",
            ),
        ),
        "response": Table(
            m("measures", "Response"),
            (
                "id",
                "organization_id",
                "client_id",
                "instrument_id",
                "instrument_version",
                "answers",
                "result",
                "total",
                "band",
                "administered_at",
                "source",
                "recorded_by_id",
                "created_at",
            ),
        ),
        "safety": Table(
            m("measures", "SafetyTask"),
            (
                "id",
                "organization_id",
                "client_id",
                "response_id",
                "instrument_id",
                "instrument_version",
                "flag_id",
                "severity",
                "message",
                "item_id",
                "evidence",
                "source",
                "opened_by_id",
                "opened_at",
                "acknowledged_by_id",
                "acknowledged_at",
                "action_taken",
            ),
        ),
        "schedule": Table(
            m("measures", "MeasureSchedule"),
            (
                "id",
                "organization_id",
                "client_id",
                "instrument_id",
                "kind",
                "interval_days",
                "next_due_at",
                "created_by_id",
                "created_at",
            ),
        ),
        "note": Table(
            m("notes", "ProgressNote"),
            (
                "id",
                "organization_id",
                "client_id",
                "template_id",
                "template_version",
                "author_id",
                "sections",
                "status",
                "created_at",
                "updated_at",
                "signed_at",
                "signed_by_id",
                "content_hash",
                "cosign_required",
                "cosigned_by_id",
                "cosigned_at",
            ),
        ),
        "state": Table(
            m("outcomes", "ClientMeasureState"),
            (
                "id",
                "organization_id",
                "client_id",
                "instrument_id",
                "protocol_key",
                "responses",
                "baseline_total",
                "baseline_at",
                "baseline_response_id",
                "latest_total",
                "latest_at",
                "latest_response_id",
                "responder",
                "remitter",
            ),
        ),
    }


ORDER = (
    "org",
    "user",
    "membership",
    "protocol",
    "client",
    "team",
    "course",
    "session",
    "dosing",
    "dose",
    "vitals",
    "response",
    "safety",
    "schedule",
    "note",
    "state",
)
