"""Access logs without secrets or forged lines: single-use tokens in paths (invitations,
questionnaire links) are masked, and CR/LF/ANSI in any field are made visible (kapstone.core.logsafe)."""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from kapstone.core.logsafe import TOKEN_PATHS, redact_tokens, safe_atoms

__all__ = ["TOKEN_PATHS", "RedactingLogger", "redact_path"]


def redact_path(path: str) -> str:
    return redact_tokens(path)


class RedactingLogger(Logger):  # type: ignore[misc]  # gunicorn ships no type information
    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        return safe_atoms(atoms)
