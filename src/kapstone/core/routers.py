"""Read-replica routing for analytics.

When ``DATABASE_REPLICA_URL`` is set, settings add a ``replica`` alias and name it in
``KAPSTONE_ANALYTICS_DATABASE``; then plain reads of the analytics
models (the program-outcome cohort rows) go to it; everything else, and every write, locking read
(``select_for_update``) or read inside a write path, stays on ``default``. A replica lags the primary
by its replication delay: fine for cohort numbers, never used for the clinical record.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

REPLICA = "replica"
# "app_label.ModelName" of the models whose plain reads may be served by the replica.
ANALYTICS_MODELS = frozenset({"outcomes.ProgramOutcome"})


def replica_alias() -> str | None:
    alias = getattr(settings, "KAPSTONE_ANALYTICS_DATABASE", "default")
    return None if alias == "default" else alias


class AnalyticsReplicaRouter:
    def db_for_read(self, model: type[models.Model], **hints: Any) -> str | None:
        if model._meta.label in ANALYTICS_MODELS:
            return replica_alias()
        return None

    def db_for_write(self, model: type[models.Model], **hints: Any) -> str | None:
        return "default"

    def allow_relation(self, obj1: models.Model, obj2: models.Model, **hints: Any) -> bool | None:
        # Both aliases hold the same data (the replica mirrors the primary).
        aliases = {"default", REPLICA}
        if obj1._state.db in aliases and obj2._state.db in aliases:
            return True
        return None

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool | None:
        return db != REPLICA  # the replica gets its schema by replication
