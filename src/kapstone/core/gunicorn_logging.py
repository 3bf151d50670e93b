"""Access logs without secrets: single-use tokens in paths (invitations, questionnaire links) are masked."""

from __future__ import annotations

import re
from typing import Any

from gunicorn.glogging import Logger

# A path segment that is a bearer credential: whoever reads the log could use it.
TOKEN_PATHS = re.compile(r"^(/accounts/invitation/|/q/)(?!done/)[^/]+")


def redact_path(path: str) -> str:
    return TOKEN_PATHS.sub(r"\1[token]", path)


class RedactingLogger(Logger):  # type: ignore[misc]  # gunicorn ships no type information
    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        atoms["U"] = redact_path(atoms.get("U", ""))
        return atoms
