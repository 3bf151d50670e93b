"""The requirement core: requirement sets as versioned, cited data, and a checker that says, per
requirement, met / not yet (what is missing) / cannot tell (the missing fact). Pure Python: no
Django, no app (and none may be added)."""

from .check import check_requirement, check_set, hours
from .model import Line, Requirement, RequirementSet, SetReport, Setting, Status, Verdict
from .sets import SHIPPED_DIR, RequirementSets, load_set, load_sets, parse_set, shipped_sets

__all__ = [
    "SHIPPED_DIR",
    "Line",
    "Requirement",
    "RequirementSet",
    "RequirementSets",
    "SetReport",
    "Setting",
    "Status",
    "Verdict",
    "check_requirement",
    "check_set",
    "hours",
    "load_set",
    "load_sets",
    "parse_set",
    "shipped_sets",
]
