"""The demo's certificates (kapstone.credentials.demo, called by the demo loader): a trainee with a
valid certificate and one whose certificate was revoked."""

from __future__ import annotations

from typing import Any

import pytest

from kapstone.credentials.models import Credential
from kapstone.credentials.vc.verify import schema_errors

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_valid_and_a_revoked_certificate(world: Any) -> None:
    from kapstone.credentials.demo import seed_certificates

    people = {"supervisor": world.users["sam"], "trainee": world.users["toby"], "admin": world.users["avery"]}
    seed_certificates(world.org_a, people, password=world.password, domain="larkspur.example")
    found = {c.holder.full_name: c for c in Credential.objects.filter(organization=world.org_a)}
    assert {name: c.status for name, c in found.items()} == {
        "Toby Test": "valid",
        "Tess Trainee (demo)": "revoked",
    }
    assert all(schema_errors(c.document) == [] for c in found.values())
