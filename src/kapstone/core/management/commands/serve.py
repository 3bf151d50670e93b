from __future__ import annotations

import argparse
import ctypes
import os
import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


def default_workers() -> int:
    return max(2, min(8, (os.cpu_count() or 1) * 2))


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the task worker gets SIGTERM when the server it was started beside exits."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start_task_worker() -> subprocess.Popen[bytes]:
    """A ``db_worker`` beside the server, so mail and reminders go out on the first ``make run``."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kapstone.settings"}
    preexec = _die_with_parent if sys.platform.startswith("linux") else None
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
        [
            sys.executable,
            "-m",
            "kapstone.cli",
            "db_worker",
            "--interval",
            "1",
            "--no-reload",
            "--no-startup-delay",
        ],
        env=env,
        preexec_fn=preexec,
    )


def site_url_for(bind: str) -> str:
    """The address links in mail point at when KAPSTONE_SITE_URL is not set: the one we serve on."""
    host, _, port = bind.rpartition(":")
    if host in ("", "0.0.0.0", "[::]"):  # noqa: S104 - naming the wildcard, not binding to it
        host = "127.0.0.1"
    return f"http://{host}:{port}"


class Command(BaseCommand):
    help = "Serve Kapstone with gunicorn (production WSGI server, sync workers), not runserver."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("KAPSTONE_BIND", "127.0.0.1:8000"))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("KAPSTONE_WORKERS", default_workers()))
        )
        parser.add_argument("--timeout", type=int, default=30)
        parser.add_argument(
            "--with-task-worker",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="Run a background-task worker beside the server (default: yes outside production, where "
            "workers run as their own service).",
        )

    def handle(
        self, *args: Any, bind: str, workers: int, timeout: int, with_task_worker: bool | None, **options: Any
    ) -> None:
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
        # Links in mail point where we actually serve, unless the site's address is configured.
        os.environ.setdefault("KAPSTONE_SITE_URL", site_url_for(bind))
        if with_task_worker is None:
            with_task_worker = not settings.PRODUCTION
        queued = "immediate" not in settings.TASKS["default"]["BACKEND"]
        note = ""
        if with_task_worker and queued:
            start_task_worker()
            note = " A task worker runs beside it: mail goes out as it is queued."
        self.stdout.write(
            f"Serving Kapstone on http://{bind} with {workers} workers.{note} Stop with Ctrl-C."
        )
        sys.stdout.flush()
        os.execv(sys.executable, argv)  # noqa: S606 - replaces this process with the server
