"""Helpers shared by the Django-side measurement tests (the `world` personas live in tests/conftest.py)."""

from __future__ import annotations

import hashlib
from typing import Any

from kapstone.core.actor import Actor

ROLE = {"avery": "org_admin", "theo": "therapist", "tamsin": "therapist", "priya": "prescriber",
        "sam": "supervisor", "toby": "trainee", "olive": "therapist"}  # fmt: skip


def actor(world: Any, name: str) -> Actor:
    org = world.org_b if name == "olive" else world.org_a
    return Actor(
        user=world.users[name], organization=org, roles=frozenset({ROLE[name]}), request_id=f"test-{name}"
    )


def phq9(item9: int = 0, base: int = 0, **overrides: object) -> dict[str, object]:
    """A complete PHQ-9 (items 1-8 = ``base``), with keyword overrides by item id; None drops an item."""
    answers: dict[str, object] = {f"phq9_{i}": base for i in range(1, 9)} | {"phq9_9": item9}
    for key, value in overrides.items():
        if value is None:
            answers.pop(key, None)
        else:
            answers[key] = value
    return answers


def phq9_post(item9: int = 0, base: int = 0, **overrides: object) -> dict[str, str]:
    return {k: str(v) for k, v in phq9(item9, base, **overrides).items()}


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
