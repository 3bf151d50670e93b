"""Abstract models and helpers for the patterns every app repeats.

- ``Versioned``: an editable record carrying ``version``; ``claim_version`` bumps it with one
  conditional UPDATE and raises ``Stale`` when someone saved first (no lost update, no lock held).
- ``IdempotentEntry``: an entry made from a form or an API call that may arrive twice (a double
  click, a retry after a dropped connection). The client sends a key; ``create_once`` makes the row
  once and returns the same row for the same key. Subclasses add ``idempotent_on(owner_field)`` to
  their ``Meta.constraints`` so the database, not a race, has the last word.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from django.db import IntegrityError, models, transaction

from kapstone.core.contract import Refused, check_version

E = TypeVar("E", bound="IdempotentEntry")
MAX_KEY = 64


class Versioned(models.Model):
    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True

    def claim_version(self, submitted: int | None) -> None:
        """Move to the next version if ``submitted`` is still the stored one, else raise ``Stale``.

        Call inside the service's transaction, before writing the other fields.
        """
        check_version(current=self.version, submitted=submitted, record=self)
        assert submitted is not None  # check_version refused None
        model = type(self)
        updated = model._default_manager.filter(pk=self.pk, version=submitted).update(version=submitted + 1)
        if not updated:
            fresh = model._default_manager.get(pk=self.pk)
            check_version(current=fresh.version, submitted=submitted, record=fresh)
        self.version = submitted + 1


class IdempotentEntry(models.Model):
    idempotency_key = models.CharField(max_length=MAX_KEY, blank=True)

    class Meta:
        abstract = True

    idempotent_owner: ClassVar[str] = ""

    @staticmethod
    def idempotent_on(owner_field: str, name: str) -> models.UniqueConstraint:
        """The constraint: one row per (owner, key); rows without a key are not constrained."""
        return models.UniqueConstraint(
            fields=[owner_field, "idempotency_key"], condition=~models.Q(idempotency_key=""), name=name
        )


def clean_key(key: str | None) -> str:
    key = (key or "").strip()
    if len(key) > MAX_KEY:
        raise Refused(f"The entry key is longer than {MAX_KEY} characters.", field="idempotency_key")
    return key


def create_once(
    model: type[E], *, key: str | None, owner: dict[str, Any], make: Callable[[], E]
) -> tuple[E, bool]:
    """The row for this (owner, key), made by ``make()`` the first time; ``(row, created)``.

    ``owner`` is the field lookup that scopes the key (e.g. ``{"session": session}``). Without a key
    every call makes a new row. Runs ``make`` in a savepoint so a lost race returns the winner's row.
    """
    key = clean_key(key)
    if key:
        existing = model._default_manager.filter(idempotency_key=key, **owner).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            return make(), True
    except IntegrityError:
        if not key:
            raise
        existing = model._default_manager.filter(idempotency_key=key, **owner).first()
        if existing is None:
            raise
        return existing, False
