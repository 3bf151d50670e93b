"""Pure dosing-protocol core: protocol templates as versioned data, and the checks a dosing
session runs against them (dose, pre-dose go/no-go, vitals and alerts, monitoring schedule,
discharge, interval and course progression).

No Django here (and none may be added): plain Python over plain data. The prescriber decides the
dose; these functions check it against the clinic's protocol, fail closed on missing or impossible
input, and return frozen results carrying the protocol id, version and a rationale.
"""

from ._toml import ProtocolError
from .checks import (
    check_discharge,
    check_dose,
    check_interval,
    check_pre_dose,
    check_vitals,
    next_step,
    ratings_due,
    validate_reading,
    vitals_due,
)
from .definition import load_protocol, parse_protocol_text
from .inputs import (
    CourseState,
    DoseContext,
    DoseInput,
    InvalidInput,
    MoodCheck,
    PreDoseChecklist,
    VitalsReading,
)
from .parser import parse_protocol
from .protocol import Protocol
from .registry import SHIPPED_DIR, Registry, UnknownProtocolError, default_registry
from .results import (
    Alert,
    CheckItem,
    DischargeCheck,
    DoseCheck,
    Due,
    Finding,
    GoNoGo,
    IntervalCheck,
    NextStep,
)
from .shared import (
    AeCatalog,
    VitalBounds,
    default_ae_categories,
    default_vital_bounds,
    load_ae_categories,
    load_vital_bounds,
)

__all__ = [
    "SHIPPED_DIR",
    "AeCatalog",
    "Alert",
    "CheckItem",
    "CourseState",
    "DischargeCheck",
    "DoseCheck",
    "DoseContext",
    "DoseInput",
    "Due",
    "Finding",
    "GoNoGo",
    "IntervalCheck",
    "InvalidInput",
    "MoodCheck",
    "NextStep",
    "PreDoseChecklist",
    "Protocol",
    "ProtocolError",
    "Registry",
    "UnknownProtocolError",
    "VitalBounds",
    "VitalsReading",
    "check_discharge",
    "check_dose",
    "check_interval",
    "check_pre_dose",
    "check_vitals",
    "default_ae_categories",
    "default_registry",
    "default_vital_bounds",
    "load_ae_categories",
    "load_protocol",
    "load_vital_bounds",
    "next_step",
    "parse_protocol",
    "parse_protocol_text",
    "ratings_due",
    "validate_reading",
    "vitals_due",
]
