"""The ``kapstone`` command: our own subcommands (serve, demo, backup, restore, audit, score, ...)
are Django management commands, so ``kapstone help`` lists everything, Django's own included."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kapstone.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kapstone", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
