"""Program outcomes: aggregates kept in the response's transaction equal a full recomputation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kapstone.core.actor import Actor
from kapstone.measures.instruments import get_registry
from kapstone.measures.scoring import ScoreResult, compare
from kapstone.outcomes import core
from kapstone.outcomes.models import ClientMeasureState, ProgramOutcome
from kapstone.outcomes.selectors import program_outcomes, program_outcomes_scan, program_outcomes_stored
from kapstone.outcomes.services import client_cohort_changed, rebuild
from query_counts import plus_audit_lock

ROLE = {
    "avery": "org_admin",
    "theo": "therapist",
    "sam": "supervisor",
    "toby": "trainee",
    "priya": "prescriber",
}


def actor(world: Any, name: str) -> Actor:
    return Actor(user=world.users[name], organization=world.org_a, roles=frozenset({ROLE[name]}))


def phq9(total: int) -> dict[str, int]:
    """A complete PHQ-9 whose total is ``total`` (0..24 on items 1-8; item 9 left at 0)."""
    answers = {f"phq9_{i}": 0 for i in range(1, 10)}
    for i in range(1, 9):
        answers[f"phq9_{i}"] = min(3, max(0, total - 3 * (i - 1)))
    return answers


def gad7(total: int) -> dict[str, int]:
    answers = {}
    for i in range(1, 8):
        answers[f"gad7_{i}"] = min(3, max(0, total - 3 * (i - 1)))
    return answers


ANSWERS = {"phq9": phq9, "gad7": gad7}


def _submit(world: Any, client: Any, instrument: str, total: int, days_ago: int) -> Any:
    from kapstone.measures.services import response_submit

    when = timezone.now() - timedelta(days=days_ago)
    return response_submit(
        actor(world, "theo"), client, instrument, ANSWERS[instrument](total), administered_at=when
    )


def _course(world: Any, client: Any, protocol_key: str, days_ago: int = 0) -> None:
    from kapstone.care.models import Course, ProtocolVersion

    pv, _ = ProtocolVersion.objects.get_or_create(
        organization=world.org_a,
        protocol_id=protocol_key,
        version="1.0.0",
        defaults={"title": f"{protocol_key} title", "route": "im", "product": "racemic_ketamine",
                  "origin": "shipped", "text": "", "sha256": "0" * 64},
    )  # fmt: skip
    Course.objects.create(
        organization=world.org_a, client=client, protocol=pv, protocol_key=protocol_key,
        protocol_version="1.0.0", started_by=world.users["theo"],
        started_at=timezone.now() - timedelta(days=days_ago),
    )  # fmt: skip
    client_cohort_changed(client.pk)


# --- the pure core agrees with the measurement core's change statistics ---------------------------


@given(st.sampled_from(["phq9", "gad7", "pcl5", "who5"]), st.integers(0, 80), st.integers(0, 80))
def test_flags_agree_with_compare(instrument_id: str, before: int, after: int) -> None:
    instrument = get_registry().get(instrument_id)
    high = 80 if instrument_id == "pcl5" else (25 if instrument_id == "who5" else 27)
    before, after = min(before, high), min(after, high)
    th = core.thresholds(instrument)

    def result(total: int) -> ScoreResult:
        return ScoreResult(
            instrument=instrument.id, version=instrument.version, complete=True, total=total,
            band=None, subscales={}, flags=[], interpretation="", errors=[], options={},
        )  # fmt: skip

    change = compare(instrument, result(before), result(after))
    responder, remitter = core.flags(th, before, after)
    assert responder == (change.response.status == "met")
    assert remitter == (change.remission.status == "met")


def test_fold_keeps_the_first_and_the_latest_by_time_then_id() -> None:
    now = timezone.now()
    state = None
    for total, days, pk in ((10, 5, 3), (12, 9, 1), (4, 1, 2), (6, 1, 7)):
        state = core.fold(state, core.Point(total, now - timedelta(days=days), pk))
    assert state is not None
    assert (state.responses, state.baseline.total, state.latest.total) == (4, 12, 6)


# --- the aggregate equals the full recomputation --------------------------------------------------

pytestmark = pytest.mark.django_db

submission = st.tuples(
    st.integers(0, 2),  # which client
    st.sampled_from(["phq9", "gad7"]),
    st.integers(0, 21),  # total
    st.integers(0, 60),  # days ago (back-dated entries change the baseline)
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.one_of(
            submission, st.tuples(st.just("course"), st.integers(0, 2), st.sampled_from(["im_kap", "iv"]))
        ),
        min_size=1,
        max_size=14,
    )  # fmt: skip
)
def test_aggregate_equals_a_full_recomputation_after_random_writes(world: Any, steps: list[tuple]) -> None:
    from kapstone.care.models import Course

    ProgramOutcome.objects.all().delete()
    ClientMeasureState.objects.all().delete()
    Course.objects.all().delete()
    from kapstone.measures.models import Response, SafetyTask

    SafetyTask.objects.all().delete()
    Response.objects.all().delete()
    clients = [world.clients["rowan"], *[_extra_client(world, n) for n in range(2)]]
    for step in steps:
        if step[0] == "course":
            _course(world, clients[step[1]], step[2])
        else:
            which, instrument, total, days = step
            _submit(world, clients[which], instrument, total, days)
    org = world.org_a.pk
    assert program_outcomes_stored(org) == {k: v for k, v in program_outcomes_scan(org).items() if any(v)}
    before = _states()
    rebuild(org)
    assert _states() == before
    assert program_outcomes_stored(org) == {k: v for k, v in program_outcomes_scan(org).items() if any(v)}


def _states() -> dict[tuple[int, str], tuple[object, ...]]:
    return {
        (s.client_id, s.instrument_id): (
            s.protocol_key, s.responses, s.baseline_response_id, s.latest_response_id,
            s.responder, s.remitter,
        )
        for s in ClientMeasureState.objects.all()
    }  # fmt: skip


def _extra_client(world: Any, n: int) -> Any:
    from kapstone.clients.models import CareTeamMember, Client

    client, created = Client.objects.get_or_create(
        organization=world.org_a, given_name=f"Extra{n}", family_name="Cohort"
    )
    if created:
        CareTeamMember.objects.create(client=client, user=world.users["theo"], team_role="therapist")
    return client


def test_response_and_remission_counted_per_protocol_and_instrument(world: Any) -> None:
    rowan = world.clients["rowan"]
    _course(world, rowan, "im_kap")
    _submit(world, rowan, "phq9", 20, 30)
    _submit(world, rowan, "phq9", 4, 1)  # 80 % better and under 5: response and remission
    harper = _extra_client(world, 0)
    _submit(world, harper, "phq9", 12, 20)
    _submit(world, harper, "phq9", 11, 2)
    stored = program_outcomes_stored(world.org_a.pk)
    assert stored[("im_kap", "phq9")] == (1, 1, 1, 1)
    assert stored[("", "phq9")] == (1, 1, 0, 0)


def test_a_new_course_moves_the_client_to_its_protocol(world: Any) -> None:
    rowan = world.clients["rowan"]
    _submit(world, rowan, "phq9", 20, 30)
    _submit(world, rowan, "gad7", 15, 30)
    assert set(program_outcomes_stored(world.org_a.pk)) == {("", "phq9"), ("", "gad7")}
    _course(world, rowan, "im_kap")
    assert set(program_outcomes_stored(world.org_a.pk)) == {("im_kap", "phq9"), ("im_kap", "gad7")}


def test_a_clinic_cut_point_change_recomputes_the_flags(world: Any) -> None:
    from kapstone.measures.services import instrument_settings_update

    rowan = world.clients["rowan"]
    pcl = {f"pcl5_{i}": 2 for i in range(1, 21)}  # 40
    low = {f"pcl5_{i}": 1 for i in range(1, 21)}  # 20
    theo = actor(world, "theo")
    from kapstone.measures.services import response_submit

    response_submit(theo, rowan, "pcl5", pcl, administered_at=timezone.now() - timedelta(days=20))
    response_submit(theo, rowan, "pcl5", low, administered_at=timezone.now() - timedelta(days=1))
    before = program_outcomes_stored(world.org_a.pk)[("", "pcl5")]
    instrument = get_registry().get("pcl5")
    option = next(iter(instrument.options))
    value = instrument.options[option].default
    instrument_settings_update(actor(world, "avery"), "pcl5", options={option: value}, item_text={},
                               expected_version=1)  # fmt: skip
    assert program_outcomes_stored(world.org_a.pk)[("", "pcl5")] == before
    assert program_outcomes_stored(world.org_a.pk) == {
        k: v for k, v in program_outcomes_scan(world.org_a.pk).items() if any(v)
    }


def test_starting_a_course_through_the_care_service_moves_the_cohort(world: Any) -> None:
    from kapstone.care.services import course_start, protocols_install_shipped

    rowan = world.clients["rowan"]
    _submit(world, rowan, "phq9", 20, 30)
    installed = protocols_install_shipped(actor(world, "priya"), world.org_a)
    course_start(actor(world, "theo"), rowan, installed[0])
    assert set(program_outcomes_stored(world.org_a.pk)) == {(installed[0].protocol_id, "phq9")}


# --- the page ------------------------------------------------------------------------------------

# Session + user + memberships (3); protocol titles, clinic instrument options, cohort rows (3); the
# audit row (2: previous hash, insert). The same for 2 clients or 40.
PROGRAM_PAGE_QUERIES = 8


@pytest.mark.parametrize("count", [2, 40])
def test_the_program_page_takes_a_constant_number_of_queries(
    world: Any, as_user: Any, django_assert_num_queries: Any, settings: Any, count: int
) -> None:
    settings.KAPSTONE_OUTCOMES_MIN_CELL = 1
    for n in range(count):
        client = _extra_client(world, n)
        if n % 2:
            _course(world, client, "im_kap")
        _submit(world, client, "phq9", 20, 10)
        _submit(world, client, "phq9", 3 if n % 3 else 15, 1)
    http = as_user("avery")
    http.get("/dashboard/")
    with django_assert_num_queries(plus_audit_lock(PROGRAM_PAGE_QUERIES)):
        reply = http.get("/outcomes/program/")
    assert reply.status_code == 200
    page = reply.content.decode()
    assert "im_kap title" in page and "No course" in page and "PHQ-9" in page
    rows = program_outcomes(actor(world, "avery"))
    assert {(r.instrument_id, r.response_defined, r.remission_defined) for r in rows} == {
        ("phq9", True, True)
    }


def test_small_cohorts_show_no_numbers(world: Any, as_user: Any) -> None:
    _submit(world, world.clients["rowan"], "phq9", 20, 10)
    _submit(world, world.clients["rowan"], "phq9", 2, 1)
    page = as_user("theo").get("/outcomes/program/").content.decode()
    assert "fewer than 11 clients" in page and "100%" not in page
    rows = program_outcomes(actor(world, "theo"))
    assert [(r.instrument_id, r.suppressed) for r in rows] == [("phq9", True)]


def test_the_program_read_is_one_query_on_the_aggregate_whatever_the_responses(world: Any) -> None:
    for n in range(5):
        _submit(world, world.clients["rowan"], "phq9", 10 + n, 20 - n)
    with CaptureQueriesContext(connection) as queries:
        program_outcomes(actor(world, "avery"))
    reads = [q["sql"] for q in queries.captured_queries if "measures_response" in q["sql"]]
    assert reads == []
