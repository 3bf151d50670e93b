"""Writes for treatment courses and their sessions. One transaction each, audited inside it.

The checks are the pure protocol core's (``kapstone.care.protocol_core``); a service turns what a
clinician entered into the core's plain inputs, stores the core's result beside the entry, and
refuses bad input with a ``ValidationError`` naming the field, or with the service contract's
``Refused`` (``NotReady``: the client is not ready for dosing). Editable records carry a version: a
stale write raises the contract's ``Stale`` (409, both versions and the stored row).

One module per seam: ``protocols``, ``courses``, ``sessions`` (schedule, start, cancel, preparation,
integration), ``dosing`` (the pre-dose go, doses, an infusion's end), ``monitoring`` (vitals,
ratings, interventions, adverse events, alerts) and ``discharge``; what they share is in
``_common``. The names below are the app's interface: ``services.dose_record(...)``.
"""

from kapstone.care.services._common import (
    CLOCK_SKEW,
    DERIVED_ATTESTATIONS,
    STALE,
    VITAL_FIELDS,
    NotReady,
    clearance_gaps,
    new_key,
    protocol_of,
    readiness_for,
    vitals_from,
)
from kapstone.care.services.courses import course_start, course_update
from kapstone.care.services.discharge import DischargeSummary, discharge
from kapstone.care.services.dosing import (
    CURRENT_STATE_FIELDS,
    DosingStart,
    PreDoseChecks,
    dose_record,
    dosing_start,
    infusion_end_record,
    preparations_done,
)
from kapstone.care.services.monitoring import (
    adverse_event_record,
    alert_acknowledge,
    baseline_of,
    intervention_record,
    rating_record,
    vitals_record,
)
from kapstone.care.services.protocols import protocol_version_create, protocols_install_shipped
from kapstone.care.services.sessions import (
    INTEGRATION_FIELDS,
    PREPARATION_FIELDS,
    IntegrationInput,
    PreparationInput,
    integration_record,
    preparation_record,
    session_cancel,
    session_schedule,
    session_start,
)
from kapstone.care.vocabulary import DISSOCIATION_SCALES, EMOTIONAL_STATES, MODALITIES, PSYCHOEDUCATION

__all__ = [
    "CLOCK_SKEW",
    "CURRENT_STATE_FIELDS",
    "DERIVED_ATTESTATIONS",
    "DISSOCIATION_SCALES",
    "EMOTIONAL_STATES",
    "INTEGRATION_FIELDS",
    "MODALITIES",
    "PREPARATION_FIELDS",
    "PSYCHOEDUCATION",
    "VITAL_FIELDS",
    "DischargeSummary",
    "DosingStart",
    "NotReady",
    "PreDoseChecks",
    "STALE",
    "IntegrationInput",
    "PreparationInput",
    "adverse_event_record",
    "alert_acknowledge",
    "baseline_of",
    "clearance_gaps",
    "course_start",
    "course_update",
    "discharge",
    "dose_record",
    "dosing_start",
    "infusion_end_record",
    "integration_record",
    "intervention_record",
    "new_key",
    "preparation_record",
    "preparations_done",
    "protocol_of",
    "protocol_version_create",
    "protocols_install_shipped",
    "rating_record",
    "readiness_for",
    "session_cancel",
    "session_schedule",
    "session_start",
    "vitals_from",
    "vitals_record",
]
