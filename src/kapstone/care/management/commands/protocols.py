"""``kapstone protocols [--json]``: list the installed dosing-protocol templates (id, version, route,
origin, sources). The pure core's ``protocols_main`` owns the interface; this hands it the registry."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from django.conf import settings

from kapstone.care.protocol_core import ProtocolError, Registry, default_registry
from kapstone.care.protocol_core.cli import protocols_main
from kapstone.core.management.pure import PureCommand


class Command(PureCommand):
    help = (
        "List the installed dosing-protocol templates (shipped plus KAPSTONE_PROTOCOL_DIRS); --json for JSON."
    )

    def run(self, argv: Sequence[str]) -> int:

        dirs = list(getattr(settings, "KAPSTONE_PROTOCOL_DIRS", []) or [])
        try:
            registry = Registry.load(dirs) if dirs else default_registry()
        except ProtocolError as exc:
            print(f"kapstone: a protocol file cannot be used: {exc}", file=sys.stderr)
            return 2
        return protocols_main(list(argv), registry)
