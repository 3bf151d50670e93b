"""Read-replica routing: analytics (cohort) reads go to the ``replica`` alias when one is configured;
the record, every write and every locking read stay on the primary."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as settings_module
from django.db import connections
from django.test.utils import CaptureQueriesContext

from kapstone.clients.models import Client
from kapstone.core.routers import AnalyticsReplicaRouter
from kapstone.outcomes.models import ClientMeasureState, ProgramOutcome


def _with_replica(settings: Any) -> None:
    settings.KAPSTONE_ANALYTICS_DATABASE = "replica"  # as settings do when DATABASE_REPLICA_URL is set


def test_without_a_replica_everything_stays_on_the_default_database() -> None:
    router = AnalyticsReplicaRouter()
    assert router.db_for_read(ProgramOutcome) is None  # Django falls back to "default"
    assert router.db_for_write(ProgramOutcome) == "default"


def test_with_a_replica_only_analytics_reads_go_there(settings: Any) -> None:
    _with_replica(settings)
    router = AnalyticsReplicaRouter()
    assert router.db_for_read(ProgramOutcome) == "replica"
    assert router.db_for_read(Client) is None
    assert router.db_for_read(ClientMeasureState) is None  # read under lock in the write path
    assert router.db_for_write(ProgramOutcome) == "default"
    assert router.allow_migrate("replica", "outcomes") is False
    assert router.allow_migrate("default", "outcomes") is True


def test_settings_add_the_replica_alias_only_beside_a_postgresql_primary(cli: Any, tmp_path: Any) -> None:
    code = (
        "import django; django.setup(); from django.conf import settings; print(sorted(settings.DATABASES))"
    )
    env = cli.env(tmp_path, DJANGO_SETTINGS_MODULE="kapstone.settings")
    assert cli.python(code, env=env).stdout.strip() == "['default']"
    with_replica = {**env, "DATABASE_URL": "postgresql://u@127.0.0.1:5432/a",
                    "DATABASE_REPLICA_URL": "postgresql://u@127.0.0.2:5432/a"}  # fmt: skip
    assert cli.python(code, env=with_replica).stdout.strip() == "['default', 'replica']"
    mirror = code.replace("sorted(settings.DATABASES)", "settings.DATABASES['replica']['TEST']")
    assert "'MIRROR': 'default'" in cli.python(mirror, env=with_replica).stdout
    analytics = code.replace("sorted(settings.DATABASES)", "settings.KAPSTONE_ANALYTICS_DATABASE")
    assert cli.python(analytics, env=with_replica).stdout.strip() == "replica"
    assert cli.python(analytics, env=env).stdout.strip() == "default"
    alone = {**env, "DATABASE_REPLICA_URL": "postgresql://u@127.0.0.2:5432/a"}
    refused = cli.python(code, env=alone, check=False)
    assert refused.returncode != 0 and "DATABASE_REPLICA_URL needs DATABASE_URL" in refused.stderr


# A second alias on the test database, as production's DATABASE_REPLICA_URL gives (TEST: MIRROR):
# registered at collection, before the test databases are set up, so Django sets it up as a mirror of
# "default" (the same database). Only tests that list it may use it; the router sends reads to it only
# when KAPSTONE_ANALYTICS_DATABASE names it (below, for one test).
if "replica" not in connections.settings:
    raw = {"default": dict(settings_module.DATABASES["default"])}
    raw["replica"] = {**raw["default"], "TEST": {"MIRROR": "default"}}
    connections.settings["replica"] = connections.configure_settings(raw)["replica"]


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_the_program_page_reads_its_cohort_rows_from_the_replica(
    world: Any, as_user: Any, settings: Any
) -> None:
    _with_replica(settings)
    replica = connections["replica"]
    from kapstone.outcomes import core
    from kapstone.outcomes.services import _apply

    _apply({(world.org_a.pk, "", "phq9"): core.Contribution(12, 12, 6, 3)})  # a write: on the primary
    with (
        CaptureQueriesContext(replica) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        page = as_user("avery").get("/outcomes/program/")
    assert page.status_code == 200 and "50%" in page.content.decode()
    assert any("outcomes_programoutcome" in q["sql"] for q in on_replica.captured_queries)
    assert not any("outcomes_programoutcome" in q["sql"] for q in on_primary.captured_queries)
    assert all("audit_auditevent" not in q["sql"] for q in on_replica.captured_queries)
