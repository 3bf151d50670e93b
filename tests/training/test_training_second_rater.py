"""A second rater (issue #13 item 5): the program lead names another supervisor on an enrolment; they
rate the same evidence as the trainee's supervisor through the pages; the lead's cohort page shows
Cohen's κ per competency from those pairs; the trainee's level stays the supervisor's.

Sol is a supervisor of Larkspur (org A) named as Toby's second rater; Sid is a supervisor of org A who
is not named; Oren is a supervisor of Otherbrook (org B).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.template.defaultfilters import floatformat
from django.urls import reverse
from tests.conftest import signed_in_client
from training_support import actor, published_cohort

from kapstone.accounts.models import Membership, Role, User
from kapstone.audit.models import AuditEvent
from kapstone.core.contract import NotYours, Refused
from kapstone.training import selectors, services
from kapstone.training.agreement import cohen_kappa
from kapstone.training.models import CompetencyAssessment, Enrollment


def _supervisor(world: Any, name: str, org: Any) -> User:
    user = User.objects.create_user(f"{name}@test.example", "x" * 20, full_name=f"{name.title()} Supervisor")
    Membership.objects.create(user=user, organization=org, role=Role.SUPERVISOR)
    return user


def _sam_rates(
    enrollment: Enrollment, world: Any, level: int, ref: str, competency: str = "phelps.trust"
) -> int:
    row = services.assessment_record(
        actor(world, "sam"),
        enrollment=enrollment,
        competency_id=competency,
        level=level,
        evidence_kind="role_play",
        evidence_ref=ref,
        key=f"sam-{competency}-{ref}",
    )
    return row.pk


@pytest.fixture
def named(world: Any, as_user: Any) -> tuple[Any, Enrollment, User]:
    """Avery names Sol as Toby's second rater on the cohort page."""
    cohort, enrollment = published_cohort(world)
    sol = _supervisor(world, "sol", world.org_a)
    response = as_user("avery").post(
        reverse("training:cohort_second_rater", kwargs={"pk": cohort.pk}),
        {"enrollment": enrollment.pk, "rater": sol.pk},
    )
    assert response.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.second_rater_id == sol.pk
    return cohort, enrollment, sol


def test_the_lead_names_a_second_rater_who_must_be_another_supervisor_of_the_organization(
    world: Any, as_user: Any, named: tuple[Any, Enrollment, User]
) -> None:
    cohort, enrollment, sol = named
    assert AuditEvent.objects.filter(
        actor_id=world.users["avery"].pk, action="training.lead", object_id=str(enrollment.pk)
    ).exists()
    page = as_user("avery").get(reverse("training:cohort", kwargs={"pk": cohort.pk})).content.decode()
    assert "Toby Test: Sol Supervisor" in page
    lead = actor(world, "avery")
    oren = _supervisor(world, "oren", world.org_b)
    for person, reason in (
        (world.users["theo"], "must be a supervisor"),  # a therapist of org A
        (oren, "must be a supervisor"),  # a supervisor of the other organization
        (world.users["sam"], "other than the trainee and their supervisor"),
    ):
        with pytest.raises(Refused, match=reason):
            services.second_rater_set(lead, enrollment=enrollment, rater=person)
    enrollment.refresh_from_db()
    assert enrollment.second_rater_id == sol.pk
    # Only the lead names one: the supervisor posting the control gets the 404.
    url = reverse("training:cohort_second_rater", kwargs={"pk": cohort.pk})
    assert as_user("sam").post(url, {"enrollment": enrollment.pk, "rater": ""}).status_code == 404
    with pytest.raises(NotYours):
        services.second_rater_set(actor(world, "sam"), enrollment=enrollment, rater=None)
    enrollment.refresh_from_db()
    assert enrollment.second_rater_id == sol.pk


def test_the_second_rater_rates_the_same_evidence_and_the_trainees_level_stays_the_supervisors(
    world: Any, as_user: Any, named: tuple[Any, Enrollment, User]
) -> None:
    _, enrollment, sol = named
    first = _sam_rates(enrollment, world, 3, "Role-play, week 3")
    home = signed_in_client(sol).get(reverse("training:home")).content.decode()
    assert "Trainees I rate as second rater" in home and "Toby Test" in home
    url = reverse("training:assess", kwargs={"pk": enrollment.pk})
    form_page = signed_in_client(sol).get(url).content.decode()
    assert "Second rating: Toby Test" in form_page and "Role-play, week 3" in form_page
    posted = {"same_as": first, "level": "1", "note": "Rushed the consent check.", "key": "sol-1"}
    assert signed_in_client(sol).post(url, posted).status_code == 302
    assert signed_in_client(sol).post(url, posted).status_code == 302  # the same key: one rating
    second = CompetencyAssessment.objects.get(assessor=sol)
    assert second.second_rating and second.level == 1
    assert (second.competency_id, second.evidence_kind, second.evidence_ref) == (
        "phelps.trust",
        "role_play",
        "Role-play, week 3",
    )
    _, lines = selectors.competency_profile(enrollment)
    trust = next(line for line in lines if line.id == "phelps.trust")
    assert trust.latest is not None and trust.latest.pk == first and trust.latest.level == 3
    assert [a.level for a in trust.levels] == [3] and len(trust.history) == 2
    profile = as_user("toby").get(reverse("training:profile", kwargs={"pk": enrollment.pk})).content.decode()
    assert '<td>1 <span class="muted">(second rating, not the trainee\'s level)</span></td>' in profile
    latest = profile.split("Latest level per competency")[1].split("Levels over time")[0]
    trust_row = latest.split(f'<th scope="row">{trust.title}</th>')[1].split("</tr>")[0]
    assert "<td>3</td>" in trust_row and "Sam Test" in trust_row and "Sol" not in trust_row
    # The second rater does not see the profile (their rating stays independent of the supervisor's).
    assert (
        signed_in_client(sol).get(reverse("training:profile", kwargs={"pk": enrollment.pk})).status_code
        == 404
    )


def test_a_second_rater_rates_only_the_supervisors_evidence_of_this_trainee(
    world: Any, named: tuple[Any, Enrollment, User]
) -> None:
    cohort, enrollment, sol = named
    theirs = services.enroll(
        actor(world, "avery"), cohort=cohort, trainee=_trainee(world), supervisor=world.users["sam"]
    )
    elsewhere = _sam_rates(theirs, world, 2, "Another trainee's role-play")
    sol_actor = _as(sol, world.org_a)
    for same_as in (elsewhere, None):
        with pytest.raises(Refused, match="Choose an assessment"):
            services.assessment_record(sol_actor, enrollment=enrollment, level=2, same_as=same_as)
    own = _sam_rates(enrollment, world, 2, "Video 1")
    mine = services.assessment_record(sol_actor, enrollment=enrollment, level=2, same_as=own)
    with pytest.raises(Refused, match="Choose an assessment"):  # a second rating is not evidence
        services.assessment_record(sol_actor, enrollment=enrollment, level=2, same_as=mine.pk)
    with pytest.raises(NotYours):  # named on Toby's enrolment only
        services.assessment_record(sol_actor, enrollment=theirs, level=2, same_as=elsewhere)
    assert CompetencyAssessment.objects.filter(assessor=sol).count() == 1


def test_a_supervisor_not_named_and_the_other_organizations_member_get_an_audited_404(
    world: Any, as_user: Any, named: tuple[Any, Enrollment, User]
) -> None:
    _, enrollment, sol = named
    first = _sam_rates(enrollment, world, 3, "Video 1")
    url = reverse("training:assess", kwargs={"pk": enrollment.pk})
    posted = {"same_as": first, "level": "2", "note": "", "key": "k"}
    sid = _supervisor(world, "sid", world.org_a)
    oren = _supervisor(world, "oren", world.org_b)
    for person in (sid, oren, world.users["olive"]):
        assert signed_in_client(person).get(url).status_code == 404
        assert signed_in_client(person).post(url, posted).status_code == 404
        assert AuditEvent.objects.filter(actor_id=person.pk, outcome="denied").exists()
    for person, org in ((sid, world.org_a), (oren, world.org_b)):
        with pytest.raises(NotYours):
            services.assessment_record(_as(person, org), enrollment=enrollment, level=2, same_as=first)
        assert AuditEvent.objects.filter(
            actor_id=person.pk, action="training.assess", outcome="denied", object_id=str(enrollment.pk)
        ).exists()
    # Once the lead removes Sol, Sol is like anyone else.
    services.second_rater_set(actor(world, "avery"), enrollment=enrollment, rater=None)
    assert signed_in_client(sol).post(url, posted).status_code == 404
    assert AuditEvent.objects.filter(actor_id=sol.pk, action="training.assess", outcome="denied").exists()
    assert set(CompetencyAssessment.objects.values_list("assessor_id", flat=True)) == {world.users["sam"].pk}


def test_kappa_on_the_leads_page_is_the_pure_functions_value_for_pairs_made_through_the_pages(
    world: Any, as_user: Any, named: tuple[Any, Enrollment, User]
) -> None:
    cohort, enrollment, sol = named
    pairs = [(1, 1), (2, 2), (3, 3), (4, 3), (2, 2), (3, 2), (1, 2)]
    url = reverse("training:assess", kwargs={"pk": enrollment.pk})
    for i, (a, b) in enumerate(pairs):
        first = _sam_rates(enrollment, world, a, f"Video {i}")
        posted = {"same_as": first, "level": str(b), "note": "", "key": f"sol-{i}"}
        assert signed_in_client(sol).post(url, posted).status_code == 302
    # One rating by the supervisor alone, on another competency: no pair, no κ.
    _sam_rates(enrollment, world, 2, "Video 9", competency="kap.monitoring")
    expected = cohen_kappa(pairs)
    assert expected is not None
    assert selectors.rater_agreement(cohort) == {"phelps.trust": (expected, len(pairs))}
    page = as_user("avery").get(reverse("training:cohort", kwargs={"pk": cohort.pk})).content.decode()
    row = page.split('id="kappa-phelpstrust"')[1].split("</tr>")[0]
    assert f"<td>{floatformat(expected, 2)}</td>" in row and f"<td>{len(pairs)}</td>" in row
    monitoring = page.split('id="kappa-kapmonitoring"')[1].split("</tr>")[0]
    assert "<td>—</td><td>0</td>" in monitoring


def _trainee(world: Any) -> User:
    user = User.objects.create_user("tess@test.example", "x" * 20, full_name="Tess Trainee")
    Membership.objects.create(user=user, organization=world.org_a, role=Role.TRAINEE)
    return user


def _as(user: User, org: Any) -> Any:
    from kapstone.core.actor import Actor

    return Actor(user=user, organization=org, roles=frozenset({Role.SUPERVISOR}))
