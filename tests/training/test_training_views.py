"""The training pages as people use them: what they see, what is stored, who gets a 404."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from training_support import FIXTURES, actor, mini_files, published_cohort

from kapstone.audit.models import AuditEvent
from kapstone.training.models import (
    CompetencyAssessment,
    JournalEntry,
    LessonCompletion,
    ModuleCompletion,
    ProgramVersion,
    QuizAttempt,
)

pytestmark = pytest.mark.django_db


def test_a_lesson_renders_unsafe_markdown_inert_and_marking_it_done_moves_progress(
    world: Any, as_user: Any
) -> None:
    _, enrollment = published_cohort(world)
    toby = as_user("toby")
    url = reverse("training:lesson", kwargs={"pk": enrollment.pk, "lesson_id": "first"})
    page = toby.get(url).content.decode()
    assert "Fictional teaching text" in page and "Last reviewed 1 Nov 2026" in page
    assert "<script>" not in page.split("<main")[1] and 'href="javascript:' not in page
    assert "&lt;script&gt;" in page  # typed HTML is shown as text
    assert 'href="https://example.org/"' in page and "Phelps J. (2017)" in page
    assert "0 of 2 modules complete" in page
    toby.post(url)
    toby.post(url)  # a double click marks it once
    assert LessonCompletion.objects.filter(enrollment=enrollment).count() == 1
    home = toby.get(reverse("training:home")).content.decode()
    assert "1 lessons done" in home and "40 minutes of reading left" in home


def test_fail_then_pass_the_knowledge_check_and_a_double_submit_counts_once(world: Any, as_user: Any) -> None:
    _, enrollment = published_cohort(world)
    toby = as_user("toby")
    for lesson_id in ("first", "second"):
        toby.post(reverse("training:lesson", kwargs={"pk": enrollment.pk, "lesson_id": lesson_id}))
    url = reverse("training:quiz", kwargs={"pk": enrollment.pk, "module_id": "basics"})
    wrong = {"key": "k-1", "number": "1", "q-b-1": "0", "q-b-2": "false"}
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC), tick=False):
        assert toby.post(url, wrong).status_code == 302
        assert toby.post(url, wrong).status_code == 302  # the same key again: the same attempt
        assert QuizAttempt.objects.count() == 1
        page = toby.get(url).content.decode()
        assert "Attempt 1: Not passed" in page and "The fictional sky is blue." in page
        assert "Your next attempt opens at 2026-12-01 10:00 UTC" in page
    with time_machine.travel(dt.datetime(2026, 12, 1, 10, 1, tzinfo=dt.UTC), tick=False):
        stray = toby.post(url, {"key": "k-2", "number": "2", "q-b-1": "1", "q-b-2": "true", "q-s-1": "0"})
        assert stray.status_code == 422 and "not drawn: s-1" in stray.content.decode()
        assert 'value="1" checked' in stray.content.decode()  # the chosen answers are kept
        toby.post(url, {"key": "k-3", "number": "2", "q-b-1": "1", "q-b-2": "true"})
        home = toby.get(reverse("training:home")).content.decode()
    assert QuizAttempt.objects.filter(status="passed").count() == 1
    assert ModuleCompletion.objects.filter(enrollment=enrollment, module_id="basics").exists()
    assert "1 of 2 modules complete" in home


def test_an_unsafe_curriculum_import_is_refused_with_the_line_and_a_good_zip_imports(
    world: Any, as_user: Any
) -> None:
    avery = as_user("avery")
    files = mini_files()
    files["01-basics/module.toml"] = files["01-basics/module.toml"].replace('"02-second.md"', '"99.md"')

    def zipped(files: dict[str, str]) -> io.BytesIO:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, text in files.items():
                archive.writestr(f"mini/{name}", text)
        buffer.seek(0)
        buffer.name = "mini.zip"
        return buffer

    refused = avery.post(reverse("training:programs"), {"archive": zipped(files)})
    assert refused.status_code == 422 and "01-basics/module.toml, line 5" in refused.content.decode()
    assert not ProgramVersion.objects.exists()
    bomb = zipped({**mini_files(), "01-basics/huge.md": "x" * 5_000_001})
    assert (
        "unpack to more than 5 MB"
        in avery.post(reverse("training:programs"), {"archive": bomb}).content.decode()
    )
    assert avery.post(reverse("training:programs"), {"archive": zipped(mini_files())}).status_code == 302
    assert ProgramVersion.objects.get().files == mini_files()


def test_editing_a_published_lesson_makes_a_new_draft_and_the_cohort_keeps_its_version(
    world: Any, as_user: Any
) -> None:
    cohort, enrollment = published_cohort(world)
    LessonCompletion.objects.create(
        enrollment=enrollment, lesson_id="first", module_id="basics", version=cohort.version, minutes=20
    )
    avery = as_user("avery")
    url = reverse("training:lesson_edit", kwargs={"pk": cohort.version_id, "lesson_id": "first"})
    assert avery.post(url, {"body": "New text", "new_version": ""}).status_code == 422
    assert avery.post(url, {"body": "New text", "new_version": "1.1"}).status_code == 302
    draft = ProgramVersion.objects.get(version="1.1")
    avery.post(reverse("training:version_publish", kwargs={"pk": draft.pk}))
    draft.refresh_from_db()
    assert draft.is_published
    enrollment.refresh_from_db()
    assert enrollment.version_id == cohort.version_id
    page = as_user("toby").get(reverse("training:lesson", kwargs={"pk": enrollment.pk, "lesson_id": "first"}))
    assert "Fictional teaching text" in page.content.decode() and "Done on" in page.content.decode()
    grid = avery.get(reverse("training:cohort", kwargs={"pk": cohort.pk})).content.decode()
    assert "Toby Test" in grid and "started" in grid


def test_the_supervisor_rates_with_evidence_and_others_get_an_audited_404(world: Any, as_user: Any) -> None:
    _, enrollment = published_cohort(world)
    url = reverse("training:assess", kwargs={"pk": enrollment.pk})
    form = {
        "competency_id": "kap.consent_touch",
        "level": "2",
        "evidence_kind": "supervision_meeting",
        "evidence_ref": "Supervision, 2 December",
        "note": "Revisit consent mid-session.",
        "key": "a-1",
    }
    sam = as_user("sam")
    assert (
        sam.post(url, {**form, "level": "7"}).status_code == 400 or CompetencyAssessment.objects.count() == 0
    )
    assert sam.post(url, form).status_code == 302
    assert sam.post(url, form).status_code == 302  # the same key: one assessment
    assert CompetencyAssessment.objects.get().level == 2
    profile = as_user("toby").get(reverse("training:profile", kwargs={"pk": enrollment.pk})).content.decode()
    assert (
        "Supervision, 2 December" in profile
        and "<svg" in profile
        and "The numbers behind the chart" in profile
    )
    from kapstone.accounts.models import Membership, Role, User

    other = User.objects.create_user("sol@test.example", "x" * 20, full_name="Sol Supervisor")
    Membership.objects.create(user=other, organization=world.org_a, role=Role.SUPERVISOR)
    from tests.conftest import signed_in_client

    assert signed_in_client(other).post(url, {**form, "key": "a-2"}).status_code == 404
    assert AuditEvent.objects.filter(actor_id=other.pk, action="training.assess", outcome="denied").exists()
    assert CompetencyAssessment.objects.count() == 1


def test_a_journal_entry_naming_a_client_is_held_with_the_text_kept_then_shared_by_htmx(
    world: Any, as_user: Any
) -> None:
    published_cohort(world)
    toby = as_user("toby")
    held = toby.post(reverse("training:journal"), {"title": "Session", "body": "Rowan was anxious today."})
    assert held.status_code == 422 and "seems to name a client" in held.content.decode()
    assert "Rowan was anxious today." in held.content.decode() and not JournalEntry.objects.exists()
    toby.post(
        reverse("training:journal"), {"title": "Session", "body": "My client was anxious; I stayed calm."}
    )
    entry = JournalEntry.objects.get()
    share = toby.post(
        reverse("training:journal_share", kwargs={"pk": entry.pk}), {"share": "1"}, HTTP_HX_REQUEST="true"
    )
    assert "Shared with Sam Test" in share.content.decode() and "<html" not in share.content.decode()
    assert as_user("sam").get(reverse("training:journal_entry", kwargs={"pk": entry.pk})).status_code == 200
    assert as_user("avery").get(reverse("training:journal_entry", kwargs={"pk": entry.pk})).status_code == 404


def test_a_trainee_or_lead_of_another_program_never_sees_this_cohort(world: Any, as_user: Any) -> None:
    cohort, enrollment = published_cohort(world)
    from kapstone.accounts.models import Membership, Role

    Membership.objects.create(user=world.users["olive"], organization=world.org_b, role=Role.ORG_ADMIN)
    Membership.objects.create(user=world.users["olive"], organization=world.org_b, role=Role.TRAINEE)
    olive = as_user("olive")
    for url in (
        reverse("training:cohort", kwargs={"pk": cohort.pk}),
        reverse("training:profile", kwargs={"pk": enrollment.pk}),
        reverse("training:lesson", kwargs={"pk": enrollment.pk, "lesson_id": "first"}),
    ):
        assert olive.get(url).status_code == 404
    assert "Winter test cohort" not in olive.get(reverse("training:home")).content.decode()


def test_the_guide_is_public_cited_and_inert(client: Any, settings: Any) -> None:
    settings.KAPSTONE_GUIDE_PATH = str(FIXTURES / "guide.md")
    page = client.get("/guide/").content.decode()
    assert "A fictional guide for tests" in page and "Last reviewed 30 Nov 2026" in page
    assert 'href="#source-phelps2017">[1]</a>' in page and 'id="source-fixture"' in page
    assert "[nobody]" in page and "<script>alert" not in page and 'href="javascript:' not in page
    settings.KAPSTONE_GUIDE_PATH = str(FIXTURES / "no-such-guide.md")
    assert client.get("/guide/").status_code == 503


def test_the_sign_in_page_links_to_the_guide(client: Any) -> None:
    assert 'href="/guide/"' in client.get(reverse("accounts:login")).content.decode()


def test_the_shipped_guide_renders_whatever_is_there(client: Any) -> None:
    response = client.get("/guide/")
    assert response.status_code in (200, 503)
    if response.status_code == 200:
        assert "<script" not in response.content.decode().split("<main")[1]


def test_attendance_is_recorded_by_the_lead(world: Any, as_user: Any) -> None:
    cohort, enrollment = published_cohort(world)
    avery = as_user("avery")
    created = avery.post(
        reverse("training:live_session_create", kwargs={"pk": cohort.pk}),
        {
            "title": "Integration seminar",
            "starts_at": "2026-12-01T17:00",
            "minutes": "90",
            "topics": ["co.integration"],
        },
    )
    assert created.status_code == 302
    avery.post(created["Location"], {"present": [str(enrollment.pk)]})
    from kapstone.training.selectors import earned_hours

    assert [(h.kind, h.minutes) for h in earned_hours(world.users["toby"])] == [("didactic_live", 90)]
    home = as_user("toby").get(reverse("training:home")).content.decode()
    assert "0.0 h self-paced" in home and "1.5 h live" in home


def test_the_supervisor_grades_a_short_answer_and_the_module_is_decided(world: Any, as_user: Any) -> None:
    _, enrollment = published_cohort(world)
    toby = as_user("toby")
    toby.post(reverse("training:lesson", kwargs={"pk": enrollment.pk, "lesson_id": "third"}))
    toby.post(
        reverse("training:quiz", kwargs={"pk": enrollment.pk, "module_id": "safety"}),
        {"key": "s", "number": "1", "q-s-1": ["0", "1"], "q-s-2": "Vital signs first."},
    )
    attempt = QuizAttempt.objects.get(status="pending")
    url = reverse("training:attempt_mark", kwargs={"pk": attempt.pk})
    assert as_user("avery").get(url).status_code == 404
    sam = as_user("sam")
    assert "Vital signs first." in sam.get(url).content.decode()
    assert sam.post(url, {}).status_code == 422
    assert sam.post(url, {"mark-s-2": "1"}).status_code == 302
    attempt.refresh_from_db()
    assert attempt.status == "passed" and attempt.graded_by == world.users["sam"]
    assert ModuleCompletion.objects.filter(enrollment=enrollment, module_id="safety").exists()
    assert sam.get(url).status_code == 404  # decided: nothing left to grade


def test_the_lead_moves_one_trainee_to_a_new_version_keeping_what_maps_across(
    world: Any, as_user: Any
) -> None:
    from kapstone.training import services

    cohort, enrollment = published_cohort(world)
    services.lesson_complete(actor(world, "toby"), enrollment=enrollment, lesson_id="first")
    lead = actor(world, "avery")
    newer = services.lesson_edit(
        lead, version=cohort.version, lesson_id="second", body="New.", new_version="2.0"
    )
    services.version_publish(lead, version=newer)
    avery = as_user("avery")
    url = reverse("training:cohort_move", kwargs={"pk": cohort.pk})
    response = avery.post(url, {"enrollment": enrollment.pk, "version": newer.pk}, follow=True)
    assert "1 completed lesson(s) carried across." in response.content.decode()
    enrollment.refresh_from_db()
    assert (
        enrollment.version_id == newer.pk and LessonCompletion.objects.get().version_id == cohort.version_id
    )
    cohort.refresh_from_db()
    assert cohort.version_id != newer.pk  # the cohort itself stays on its version
    assert avery.post(url, {"enrollment": "x", "version": newer.pk}, follow=True).status_code == 200


def test_an_edit_from_an_older_copy_is_refused_with_the_text_kept(world: Any, as_user: Any) -> None:
    published_cohort(world)
    toby = as_user("toby")
    toby.post(reverse("training:journal"), {"title": "Week two", "body": "First thoughts."})
    entry = JournalEntry.objects.get()
    url = reverse("training:journal_edit", kwargs={"pk": entry.pk})
    assert toby.post(url, {"title": "Week two", "body": "Second thoughts.", "version": 1}).status_code == 302
    stale = toby.post(url, {"title": "Week two", "body": "From an old tab.", "version": 1})
    assert stale.status_code == 409 and "From an old tab." in stale.content.decode()
    entry.refresh_from_db()
    assert entry.body == "Second thoughts." and entry.version == 2
    journal_share = reverse("training:journal_share", kwargs={"pk": entry.pk})
    toby.post(journal_share, {"share": "1"})
    assert as_user("sam").get(url).status_code == 404  # shared to read, not to edit


def test_the_dashboard_shows_a_trainee_their_progress(world: Any, as_user: Any) -> None:
    published_cohort(world)
    page = as_user("toby").get(reverse("core:dashboard")).content.decode()
    assert "Your training" in page and "0 of 2 modules complete" in page
    assert "Your training" not in as_user("sam").get(reverse("core:dashboard")).content.decode()
