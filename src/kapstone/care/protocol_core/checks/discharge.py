"""Discharge: ready to leave once the observation time has passed and every checklist item is
true."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from ..inputs import InvalidInput
from ..protocol import Protocol
from ..results import NO_GO, OK, CheckItem, DischargeCheck
from ._common import _aware, _fmt, _when


def check_discharge(
    protocol: Protocol, dose_time: datetime, now: datetime, checklist: Mapping[str, bool | None]
) -> DischargeCheck:
    """Ready to leave? ``dose_time`` is when the last dose of the session was started (a booster
    restarts the observation clock; for an infusion, its start). Every checklist item must be true."""
    dosed = _aware(dose_time, "dose_time")
    current = _aware(now, "now")
    if current < dosed:
        raise InvalidInput("now", "is before the dose time")
    minimum = protocol.discharge.min_observation_minutes
    earliest = dosed + timedelta(minutes=float(minimum.value))
    observed = (current - dosed).total_seconds() / 60
    items: list[CheckItem] = []
    prov = minimum.provenance
    label = f"At least {_fmt(minimum.value)} min observation"
    if current < earliest:
        items.append(
            CheckItem(
                "min_observation",
                label,
                NO_GO,
                f"observed {_fmt(round(observed, 1))} of {_fmt(minimum.value)} min ({minimum.cite()}); "
                f"discharge not before {_when(earliest)}",
                prov.sources,
                prov.clinic_setting,
            )
        )
    else:
        items.append(
            CheckItem(
                "min_observation",
                label,
                OK,
                f"observed {_fmt(round(observed, 1))} min ({minimum.cite()})",
                prov.sources,
                prov.clinic_setting,
            )
        )
    expected = {i.id for i in protocol.discharge.items}
    for item in protocol.discharge.items:
        value = checklist.get(item.id)
        iprov = item.provenance
        if value is True:
            status, message = OK, "confirmed"
        elif value is False:
            status, message = NO_GO, "not met"
        else:
            status, message = NO_GO, "missing" if value is None else f"expected true or false (got {value!r})"
        items.append(CheckItem(item.id, item.label, status, message, iprov.sources, iprov.clinic_setting))
    for extra in sorted(set(checklist) - expected):
        items.append(
            CheckItem(
                extra,
                "Unknown checklist item",
                NO_GO,
                f"{extra!r} is not a discharge item of this protocol: check the form",
            )
        )
    ready = all(i.status == OK for i in items)
    no_driving = protocol.discharge.no_driving.text()
    if ready:
        rationale = f"ready for discharge; {no_driving}"
    else:
        rationale = "not ready: " + "; ".join(f"{i.label}: {i.message}" for i in items if i.status != OK)
    return DischargeCheck(
        protocol.id,
        protocol.version,
        ready,
        earliest,
        observed,
        float(minimum.value),
        tuple(items),
        no_driving,
        rationale,
    )
