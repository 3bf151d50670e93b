from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.mail import EmailMessage
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from kapstone.audit.checkpoint import CheckpointError, dumps, load, make_checkpoint, verify_against
from kapstone.audit.services import broken_message, record, verify_chain
from kapstone.core.actor import SYSTEM


class Command(BaseCommand):
    help = (
        "Audit log tools. `kapstone audit verify` checks every hash chain and names the first broken link "
        "and its chain; "
        "with --checkpoint FILE it also proves every row up to that signed head is still there. "
        "`kapstone audit checkpoint [--out FILE]` writes a signed checkpoint of every chain's head "
        "(one chain per organization)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("subcommand", choices=["verify", "checkpoint"])
        parser.add_argument("--checkpoint", type=Path, help="verify against this signed checkpoint")
        parser.add_argument("--out", type=Path, help="write the checkpoint here (default: standard output)")
        parser.add_argument(
            "--mail", action="append", default=[], metavar="ADDRESS", help="also mail it (repeatable)"
        )

    def handle(self, *args: Any, subcommand: str, **options: Any) -> None:
        if subcommand == "checkpoint":
            self._checkpoint(options.get("out"), options.get("mail") or [])
            return
        if options.get("checkpoint"):
            try:
                report = verify_against(load(options["checkpoint"]))
            except CheckpointError as exc:
                raise CommandError(str(exc)) from exc
            if not report.ok:
                raise CommandError(report.reason)
            self.stdout.write(report.reason)
            return
        chain = verify_chain()
        if not chain.ok:
            raise CommandError(f"{broken_message(chain)} {chain.checked} events before it verified.")
        self.stdout.write(f"Audit chain intact: {chain.checked} events verified.")

    def _checkpoint(self, out: Path | None, mail_to: list[str]) -> None:
        # One durable transaction, committed before the file leaves: its commit (an fsync) makes every
        # head the checkpoint signs durable too, even reads committed relaxed (KAPSTONE_READ_AUDIT_COMMIT),
        # so a power failure cannot remove a row a checkpoint already vouches for.
        with transaction.atomic():
            record(SYSTEM, "audit.checkpoint", object_type="audit_log")  # the checkpoint covers its own row
            checkpoint = make_checkpoint()
        text = dumps(checkpoint)
        if mail_to:
            message = EmailMessage(
                subject=f"Kapstone audit checkpoint at event {checkpoint['head_id']}",
                body=(
                    "The attached file is a signed checkpoint of this server's audit log. Keep it "
                    "somewhere the server cannot reach; `kapstone audit verify --checkpoint FILE` "
                    "uses it to prove no newer rows were deleted.\n"
                ),
                to=mail_to,
            )
            message.attach(
                f"kapstone-audit-checkpoint-{checkpoint['head_id']}.json", text, "application/json"
            )
            message.send()
        if out is None:
            if not mail_to:
                self.stdout.write(text, ending="")
            else:
                self.stdout.write(
                    f"Checkpoint at event {checkpoint['head_id']} mailed to {len(mail_to)} address(es)."
                )
            return
        if out.exists():
            raise CommandError(f"{out} already exists; checkpoints are never overwritten.")
        out.write_text(text, encoding="utf-8")
        self.stdout.write(f"Checkpoint written to {out}. Keep it away from this server.")
