"""The ``kapstone`` command: our own subcommands (serve, demo, backup, restore, audit, score, ...)
are Django management commands, so ``kapstone help`` lists everything, Django's own included."""

from __future__ import annotations

import os
import sys

_ALIASES = {"check-dose": "check_dose"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kapstone.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in _ALIASES:  # a command name with a hyphen, as the README spells it
        args[0] = _ALIASES[args[0]]
    try:
        execute_from_command_line(["kapstone", *args])
    except ImproperlyConfigured as exc:
        # Refuse to start, naming the setting, without a traceback that buries the message.
        print(f"kapstone: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
