"""T17: the API answers what its OpenAPI schema says, as every role, and never leaks across scope.

Schemathesis drives the Django app in-process (WSGI) from the schema the app serves: for every
operation, as a therapist, prescriber, supervisor and admin of the first organization, a therapist
of another organization and an anonymous caller, it sends a few generated requests (positive and
negative data, a fixed seed) plus requests naming real objects of the first organization (a client,
a draft and a signed note, a stored response and its Observation). Every answer is checked: no
server error, a status the operation declares, the declared content type, a body matching the
declared schema, and malformed input refused with a 4xx. An auth bypass is any 2xx to an anonymous
caller, or to the other organization's therapist on an object of the first organization.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.middleware.csrf import _get_new_csrf_string
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from tests.conftest import World, signed_in_client

from kapstone.api import api

pytestmark = pytest.mark.django_db

ROLES = {
    "therapist": "theo",
    "prescriber": "priya",
    "supervisor": "sam",
    "admin": "avery",
    "other organization's therapist": "olive",
    "anonymous": "",
}
OUTSIDERS = {"other organization's therapist", "anonymous"}
EXAMPLES = {  # per operation: (positive, negative) generated requests, a fixed seed (derandomized)
    "therapist": (5, 2),
    "prescriber": (5, 2),
    "supervisor": (5, 2),
    "admin": (5, 2),
    "other organization's therapist": (4, 0),  # probes scope; malformed input is the staff roles' part
    "anonymous": (2, 0),  # 401 before anything is read
}
TIME_LIMIT = 90.0  # CPU seconds for the whole run (wall time on the shared 2-core machine varies with load)
UNSCOPED = {"instrument_id", "questionnaire_id"}  # definitions: no client data, any staff member
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass
class Tally:
    cases: int = 0
    known: list[tuple[str, str, int]] = field(default_factory=list)  # (role, operation, status)
    server_errors: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    bypasses: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Known:
    """Objects of the first organization (Larkspur) that only its care team may reach."""

    ids: dict[str, str]
    other_org_client: int
    bodies: dict[str, Any]  # a valid body by operation, so a request is judged on whose object it names


def _seed(world: World) -> Known:
    """Through the API itself, as Rowan's therapist: a stored PHQ-9, a draft and a signed note."""
    rowan = world.clients["rowan"].pk  # type: ignore[attr-defined]
    http = signed_in_client(world.users["theo"])
    answers = {f"phq9_{n}": v for n, v in enumerate((1, 2, 1, 0, 1, 2, 1, 0, 0), start=1)}

    def post(url: str, body: object, **headers: str) -> dict[str, Any]:
        reply = http.post(url, data=json.dumps(body), content_type="application/json", headers=headers)
        assert reply.status_code in {200, 201}, reply.content
        return dict(reply.json())

    response = post(f"/api/clients/{rowan}/responses", {"instrument": "phq9", "answers": answers})
    draft = post(f"/api/clients/{rowan}/notes", {"template": "dap", "sections": {"data": "Fictional."}})
    sections = {"data": "Fictional.", "assessment": "Fictional.", "plan": "Fictional."}
    signed = post(f"/api/clients/{rowan}/notes", {"template": "dap", "sections": sections})
    post(f"/api/notes/{signed['id']}/sign", {}, if_match=f'"{signed["version"]}"')
    resource = http.get(f"/api/fhir/QuestionnaireResponse/{response['id']}").json()
    del resource["id"]  # as another system would send it: subject Patient/<Rowan>
    return Known(
        ids={
            "client_id": str(rowan),
            "note_id": str(signed["id"]),
            "draft_id": str(draft["id"]),
            "response_id": str(response["id"]),
            "observation_id": f"{response['id']}-total",
        },
        other_org_client=world.clients["oona"].pk,  # type: ignore[attr-defined]
        bodies={
            "POST /api/clients/{client_id}/responses": {"instrument": "phq9", "answers": answers},
            "POST /api/clients/{client_id}/notes": {"template": "dap"},
            "PUT /api/notes/{note_id}": {"sections": sections},
            "POST /api/notes/{note_id}/addenda": {"text": "A fictional addendum."},
            "POST /api/fhir/QuestionnaireResponse": resource,
        },
    )


@dataclass(frozen=True)
class Caller:
    """A role's session cookie and CSRF token (none for the anonymous caller)."""

    cookies: dict[str, str]
    headers: dict[str, str]

    def dress(self, case: Any) -> Any:
        case.cookies = {**(case.cookies or {}), **self.cookies}
        case.headers = {**(case.headers or {}), **self.headers}
        return case


def _caller(world: World, name: str) -> Caller:
    if not name:
        return Caller({}, {})
    http = signed_in_client(world.users[name])
    token = _get_new_csrf_string()
    session = http.cookies[settings.SESSION_COOKIE_NAME].value
    cookies = {settings.SESSION_COOKIE_NAME: session, settings.CSRF_COOKIE_NAME: token}
    return Caller(cookies, {"X-CSRFToken": token})


def _known_cases(operation: Any, known: Known, caller: Caller) -> list[Any]:
    """Valid requests naming real objects of the first organization, whatever role sends them."""
    names = [p.name for p in operation.path_parameters]
    if set(names) & UNSCOPED or not (names or operation.label in known.bodies):
        return []
    body = known.bodies.get(operation.label, NOT_SET)
    media = "application/fhir+json" if "/fhir/" in operation.path and body is not NOT_SET else None
    headers = {"If-Match": '"1"'} if operation.method.upper() in {"PUT", "POST"} else {}
    choices = {"note_id": ("note_id", "draft_id")}.get(names[0], (names[0],)) if names else ("",)
    return [
        caller.dress(
            operation.Case(
                path_parameters={names[0]: known.ids[choice]} if names else {},
                headers=headers,
                body=body,
                media_type=media,
            )
        )
        for choice in choices
    ]


def _is_bypass(role: str, case: Any, status: int, known: Known) -> bool:
    if role not in OUTSIDERS or not 200 <= status < 300:
        return False
    if role == "anonymous":
        return True
    parameters = dict(case.path_parameters or {})
    if set(parameters) & UNSCOPED:
        return False  # definitions: no client data
    if not parameters:  # an object named in the body (an import's subject), or none at all
        return bool(case.body is not NOT_SET and case.body == known.bodies.get(case.operation.label))
    return parameters != {"client_id": known.other_org_client}


def _run(case: Any, role: str, known: Known, tally: Tally, checks: list[Callable[..., Any]]) -> int:
    tally.cases += 1
    response = case.call()
    label = f"{role}: {case.operation.label} {dict(case.path_parameters or {})} -> {response.status_code}"
    if response.status_code >= 500:
        tally.server_errors.append(label)
    if _is_bypass(role, case, response.status_code, known):
        tally.bypasses.append(label)
    try:
        case.validate_response(response, checks=checks)
    except (Failure, FailureGroup) as failed:
        if response.status_code < 500:
            tally.violations.append(f"{label}: {str(failed).strip()[:600]}")
    return int(response.status_code)


def _generated(operation: Any, mode: GenerationMode, examples: int, run: Callable[[Any], None]) -> None:
    @hypothesis_settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def each(case: Any) -> None:
        run(case)

    each()


class InProcess(WSGIHandler):
    """The Django app as WSGI, keeping the test's database connection (and so its transaction) open
    across requests, as Django's own test client does: on PostgreSQL a closed one loses the data.
    (The test client connects the closing receiver again after each of its own requests.)"""

    def __call__(self, environ: Any, start_response: Any) -> Any:
        for signal in (request_started, request_finished):
            signal.disconnect(close_old_connections)
        return super().__call__(environ, start_response)


@pytest.fixture
def in_process() -> Iterator[InProcess]:
    try:
        yield InProcess()
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


def test_t17_the_api_answers_what_its_schema_declares_as_every_role(
    world: World, battery: Any, in_process: InProcess
) -> None:
    known = _seed(world)
    schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
    schema.app = in_process
    loaded = list(schema.get_all_operations())
    assert all(isinstance(result, Ok) for result in loaded), loaded  # the schema itself is valid
    operations = [result.ok() for result in loaded if isinstance(result, Ok)]
    tally = Tally()
    started = time.process_time()
    for role, name in ROLES.items():
        caller = _caller(world, name)

        def run(case: Any, role: str = role, caller: Caller = caller) -> None:
            caller.dress(case)
            negative = case.meta is not None and case.meta.generation.mode == GenerationMode.NEGATIVE
            _run(case, role, known, tally, [*CHECKS, negative_data_rejection] if negative else CHECKS)

        for operation in operations:
            for case in _known_cases(operation, known, caller):
                status = _run(case, role, known, tally, CHECKS)
                tally.known.append((role, operation.label, status))
            positive, negative = EXAMPLES[role]
            _generated(operation, GenerationMode.POSITIVE, positive, run)
            if negative:
                _generated(operation, GenerationMode.NEGATIVE, negative, run)
    elapsed = time.process_time() - started

    figure = (
        f"T17 operations: {len(operations)}; cases: {tally.cases}; 5xx: {len(tally.server_errors)}; "
        f"schema violations: {len(tally.violations)}; auth-bypass findings: {len(tally.bypasses)}"
    )
    battery("T17", figure.removeprefix("T17 "))
    assert not tally.server_errors, "\n".join(tally.server_errors[:20])
    assert not tally.violations, "\n".join(tally.violations[:20])
    assert not tally.bypasses, "\n".join(tally.bypasses[:20])
    # The probe is real: the requests that reach Rowan's record for his therapist (reads, writes, the
    # FHIR import naming him) are a 404 for the other organization and a 401 for nobody signed in.
    reached = {label for role, label, status in tally.known if role == "therapist" and status < 300}
    assert len(reached) >= 13, sorted(reached)
    outsiders = {(role, status) for role, label, status in tally.known if role in OUTSIDERS}
    assert outsiders == {("other organization's therapist", 404), ("anonymous", 401)}, outsiders
    assert len(operations) >= 19 and tally.cases >= len(operations) * len(ROLES) * 2, figure
    assert elapsed < TIME_LIMIT, f"{figure}; took {elapsed:.0f} CPU seconds"
