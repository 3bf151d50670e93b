"""Signing keys: Ed25519, generated on first use into the instance's private storage
(``VAR_DIR/keys/credentials/<fragment>.pem``, mode 0600), never in the repository or the database.
Rotation retires the current key (it stays in the DID document) and generates the next."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kapstone.accounts.models import Organization
from kapstone.credentials.models import IssuerKey
from kapstone.credentials.vc import did as didweb
from kapstone.credentials.vc.multibase import ed25519_public_multibase


class KeyMissing(RuntimeError):
    """The private key file of an active key is gone: nothing can be signed until a key is rotated."""


def key_dir() -> Path:
    return Path(
        getattr(settings, "KAPSTONE_CREDENTIAL_KEY_DIR", "")
        or Path(settings.VAR_DIR) / "keys" / "credentials"
    )


def site_url() -> str:
    return str(settings.SITE_URL).rstrip("/")


def instance_did() -> str:
    """``did:web`` of this instance's host (from KAPSTONE_SITE_URL), served at /.well-known/did.json."""
    return didweb.did_for_host(urlsplit(site_url()).netloc)


def _path(fragment: str) -> Path:
    return key_dir() / f"{fragment}.pem"


def _generate(organization: Organization, number: int) -> IssuerKey:
    private = Ed25519PrivateKey.generate()
    # A random tail: a key file left by a database restored from an older backup is never overwritten.
    fragment = f"{organization.slug}-{number}-{secrets.token_hex(3)}"
    folder = key_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(_path(fragment), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return IssuerKey.objects.create(
        organization=organization, fragment=fragment, public_multibase=ed25519_public_multibase(raw)
    )


@transaction.atomic
def active_key(organization: Organization) -> IssuerKey:
    key = (
        IssuerKey.objects.select_for_update()
        .filter(organization=organization, retired_at__isnull=True)
        .first()
    )
    if key is None:
        number = IssuerKey.objects.filter(organization=organization).count() + 1
        key = _generate(organization, number)
    return key


@transaction.atomic
def rotate(organization: Organization) -> IssuerKey:
    count = IssuerKey.objects.filter(organization=organization).count()
    IssuerKey.objects.filter(organization=organization, retired_at__isnull=True).update(
        retired_at=timezone.now()
    )
    return _generate(organization, count + 1)


def private_key(key: IssuerKey) -> Ed25519PrivateKey:
    try:
        loaded = serialization.load_pem_private_key(_path(key.fragment).read_bytes(), password=None)
    except FileNotFoundError as exc:
        raise KeyMissing(f"the private key file for {key.fragment} is missing from {key_dir()}") from exc
    if not isinstance(loaded, Ed25519PrivateKey):
        raise KeyMissing(f"{key.fragment} is not an Ed25519 key")
    return loaded


def verification_method(key: IssuerKey) -> str:
    return f"{instance_did()}#{key.fragment}"


def did_document() -> dict[str, object]:
    keys = [didweb.PublicKey(k.fragment, k.public_multibase) for k in IssuerKey.objects.order_by("pk")]
    return didweb.document(instance_did(), keys)
