"""Log lines that cannot be forged or used to smuggle secrets (security.md T8; ASVS 16.4.1).

- Every control character in a logged value (CR, LF, ESC and so ANSI colour/cursor sequences, the
  other C0/C1 controls, Unicode line and paragraph separators) is written as a visible escape
  (``\\r``, ``\\n``, ``\\x1b``, ``\\u2028``), so a value can never start a line of its own or
  repaint a terminal.
- A traceback stays readable but each of its lines is indented under a ``  | `` prefix, so a
  message inside an exception cannot pass for a log record either.
- Bearer tokens in paths (invitation and questionnaire links) are masked wherever a path is logged.
"""

from __future__ import annotations

import logging
import re
from typing import Any

# Tab is kept; every other C0 control, DEL, the C1 controls and U+2028/U+2029 are escaped.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\x1b": "\\x1b"}
TOKEN_PATHS = re.compile(r"(/accounts/invitation/|/q/)(?!done/)[^/\s?#]+")


def neutralise(text: str) -> str:
    """The value with every control character made visible (never a line break)."""
    return _CONTROL.sub(lambda m: _NAMED.get(m.group(), m.group().encode("unicode_escape").decode()), text)


def redact_tokens(text: str) -> str:
    return TOKEN_PATHS.sub(r"\1[token]", text)


def safe(value: object) -> str:
    return neutralise(redact_tokens(str(value)))


class SafeFormatter(logging.Formatter):
    """A formatter whose record is one line (plus an indented traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        message = safe(record.getMessage())
        copy = logging.makeLogRecord({**record.__dict__, "msg": message, "args": None})
        copy.exc_info, copy.exc_text, copy.stack_info = None, None, None
        line = super().format(copy)
        extra = []
        if record.exc_info:
            extra.append(self.formatException(record.exc_info))
        elif record.exc_text:
            extra.append(record.exc_text)
        if record.stack_info:
            extra.append(self.formatStack(record.stack_info))
        for block in extra:
            line += "".join(f"\n  | {neutralise(part)}" for part in redact_tokens(block).splitlines())
        return line


def safe_atoms(atoms: dict[str, Any]) -> dict[str, Any]:
    """Gunicorn access-log atoms with every string neutralised and tokens masked."""
    return {key: safe(value) if isinstance(value, str) else value for key, value in atoms.items()}
