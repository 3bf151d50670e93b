"""``kapstone credential verify FILE [--did-document F | --key F] [--status-list F]``: verify a
credential offline and print the report as JSON. Exit 0 valid, 1 not valid (the report says why),
2 the input could not be read. Pure Python."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kapstone.lib.cli import EXIT_INVALID, EXIT_OK, Parser, print_json, run_command

from .verify import verify

EXIT_NOT_VALID = 1


def _json(path: str | None, what: str) -> Any:
    if path is None:
        return None
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read the {what} {path}: {exc}") from exc


def _configure(parser: Parser) -> None:
    parser.add_argument("file", help="the credential (JSON)")
    parser.add_argument("--did-document", help="a cached copy of the issuer's /.well-known/did.json")
    parser.add_argument("--key", help="a file holding the issuer's publicKeyMultibase (z6Mk...)")
    parser.add_argument("--status-list", help="a cached copy of the status list credential")


def _run(args: argparse.Namespace) -> int:
    credential = _json(args.file, "credential")
    if not isinstance(credential, dict):
        raise ValueError(f"{args.file} is not a JSON object")
    key = Path(args.key).read_text(encoding="utf-8").strip() if args.key else None
    report = verify(
        credential, did_document=_json(args.did_document, "DID document"), key_multibase=key,
        status_list=_json(args.status_list, "status list"), now=dt.datetime.now(dt.UTC),
    )  # fmt: skip
    print_json(report.as_dict())
    return EXIT_OK if report.valid else EXIT_NOT_VALID


def verify_main(argv: Sequence[str]) -> int:
    return run_command("kapstone credential verify", argv, _configure, _run,
                       description="Verify an Open Badges 3.0 credential offline.")  # fmt: skip


__all__ = ["EXIT_INVALID", "EXIT_NOT_VALID", "EXIT_OK", "verify_main"]
