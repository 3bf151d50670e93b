from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


def default_workers() -> int:
    return max(2, min(8, (os.cpu_count() or 1) * 2))


class Command(BaseCommand):
    help = "Serve Kapstone with gunicorn (production WSGI server, sync workers), not runserver."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("KAPSTONE_BIND", "127.0.0.1:8000"))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("KAPSTONE_WORKERS", default_workers()))
        )
        parser.add_argument("--timeout", type=int, default=30)

    def handle(self, *args: Any, bind: str, workers: int, timeout: int, **options: Any) -> None:
        # Hashed, compressed static files for far-future caching; quick when nothing changed.
        call_command("collectstatic", interactive=False, verbosity=0)
        argv = [
            sys.executable, "-m", "gunicorn", "kapstone.wsgi:application",
            "--bind", bind, "--workers", str(workers), "--worker-class", "sync",
            "--timeout", str(timeout), "--graceful-timeout", "20",
            # Recycle workers now and then so a slow leak can never grow without bound.
            "--max-requests", "5000", "--max-requests-jitter", "500",
            # The path only: a query string can carry a client's name, and logs are not for client data.
            "--logger-class", "kapstone.core.gunicorn_logging.RedactingLogger",
            "--access-logfile", "-",
            "--access-logformat", '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms %({x-request-id}o)s',
        ]  # fmt: skip
        if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
            argv += ["--forwarded-allow-ips", os.environ.get("KAPSTONE_FORWARDED_ALLOW_IPS", "127.0.0.1")]
        self.stdout.write(f"Serving Kapstone on http://{bind} with {workers} workers. Stop with Ctrl-C.")
        sys.stdout.flush()
        os.execv(sys.executable, argv)  # noqa: S606 - replaces this process with the server
