"""``kapstone credential verify FILE [--did-document F | --key F] [--status-list F]`` (offline, no
database: the pure core), ``kapstone credential list [--json]`` and ``kapstone credential export
CODE`` (the issued credentials of this instance)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from kapstone.accounts.models import Organization
from kapstone.core.management.pure import PureCommand
from kapstone.credentials.keys import rotate
from kapstone.credentials.models import Credential
from kapstone.credentials.vc.cli import verify_main

USAGE = (
    "usage: kapstone credential {verify FILE [--did-document F|--key F] [--status-list F] "
    "| list [--json] | export CODE | rotate-key ORG_SLUG}"
)


class Command(PureCommand):
    help = (
        "Certificates: 'verify FILE' checks a credential offline (signature, issuer key, schema, dates, "
        "status; exit 0 valid, 1 not valid, 2 bad input); 'list [--json]' lists issued credentials; "
        "'export CODE' prints one; 'rotate-key ORG_SLUG' retires the organization's signing key (it stays "
        "in the DID document, so what it signed still verifies) and makes a new one."
    )

    def run(self, argv: Sequence[str]) -> int:
        if not argv or argv[0] not in ("verify", "list", "export", "rotate-key"):
            print(USAGE, file=sys.stderr)
            return 2
        if argv[0] == "verify":
            return verify_main(list(argv[1:]))

        if argv[0] == "list":
            rows = [
                {"code": c.code, "holder": c.holder.full_name or c.holder.email, "program": c.title,
                 "status": c.status, "issued": c.issued_at.date().isoformat()}
                for c in Credential.objects.select_related("holder").order_by("issued_at", "pk")
            ]  # fmt: skip
            if "--json" in argv[1:]:
                sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
            else:
                for row in rows:
                    sys.stdout.write(f"{row['code']}\t{row['status']}\t{row['holder']}\t{row['program']}\n")
            return 0
        if len(argv) != 2:
            print(USAGE, file=sys.stderr)
            return 2
        if argv[0] == "rotate-key":
            organization = Organization.objects.filter(slug=argv[1]).first()
            if organization is None:
                print(f"kapstone credential rotate-key: no organization {argv[1]!r}", file=sys.stderr)
                return 2
            key = rotate(organization)
            sys.stdout.write(f"{key.fragment}\t{key.public_multibase}\n")
            return 0
        credential = Credential.objects.filter(code=argv[1].upper()).first()
        if credential is None:
            print(f"kapstone credential export: no credential {argv[1]!r}", file=sys.stderr)
            return 2
        sys.stdout.write(json.dumps(credential.document, indent=2, ensure_ascii=False) + "\n")
        return 0
