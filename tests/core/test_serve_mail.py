"""`make run` sends mail on the first run: `kapstone serve` starts a task worker beside the server in
development, and links in mail point at the address it actually serves on (issue #12 item 8)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from kapstone.core.management.commands.serve import site_url_for


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _processes_using(var_dir: Path) -> list[int]:
    """Live processes started for this var dir (read from /proc: no orphaned worker may remain)."""
    marker = f"KAPSTONE_VAR_DIR={var_dir}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().split()[2]
        except OSError:
            continue
        if marker in environ.split(b"\0") and state != "Z":
            found.append(int(entry.name))
    return found


def _wait_for(predicate: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_serve_in_development_delivers_queued_mail_with_links_to_its_own_address(
    cli: Any, tmp_path: Path
) -> None:
    env = cli.env(tmp_path, KAPSTONE_ENV="development", KAPSTONE_MFA_REQUIRED_FOR_STAFF="false")
    cli.run("migrate", "--verbosity", "0", env=env)
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "kapstone.cli", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    mail_dir = tmp_path / "mail"
    try:
        queued = cli.run(
            "mail_check", "someone@example.invalid", env={**env, "KAPSTONE_BIND": f"127.0.0.1:{port}"}
        )
        assert "Queued a mail check" in queued.stdout
        assert _wait_for(lambda: mail_dir.is_dir() and any(mail_dir.iterdir()), 90), "no mail was delivered"
        [message] = [p.read_text() for p in mail_dir.iterdir()]
        assert "someone@example.invalid" in message
        assert f"http://127.0.0.1:{port}" in message
    finally:
        os.kill(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    # The worker goes with the server: nothing is left running for this instance.
    assert _wait_for(lambda: not _processes_using(tmp_path), 30), _processes_using(tmp_path)


@pytest.mark.parametrize(
    ("bind", "url"),
    [
        ("127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("0.0.0.0:8080", "http://127.0.0.1:8080"),
        ("kapstone.internal:9000", "http://kapstone.internal:9000"),
    ],
)
def test_links_point_at_the_bound_address_when_no_site_url_is_set(bind: str, url: str) -> None:
    assert site_url_for(bind) == url
