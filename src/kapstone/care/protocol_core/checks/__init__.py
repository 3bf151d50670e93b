"""The protocol checks: pure functions of a ``Protocol`` and plain inputs.

The prescriber decides the dose; these functions check what was decided against the clinic's
protocol and say why. They fail closed: missing or impossible input gives an explicit refusal,
"cannot check" or "no go", never a guess. Pure Python, no Django, no clock: ``now`` is passed in.

One module per check: ``dose``, ``course`` (stage limits, interval, next step), ``vitals``
(readings, alerts, schedule), ``pre_dose`` and ``discharge``; ``_common`` holds what they share.
"""

from .course import check_interval, next_step
from .discharge import check_discharge
from .dose import check_dose
from .pre_dose import check_pre_dose
from .vitals import check_vitals, ratings_due, validate_reading, vitals_due

__all__ = [
    "check_discharge",
    "check_dose",
    "check_interval",
    "check_pre_dose",
    "check_vitals",
    "next_step",
    "ratings_due",
    "validate_reading",
    "vitals_due",
]
