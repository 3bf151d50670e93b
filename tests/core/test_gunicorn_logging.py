from __future__ import annotations

import pytest

from kapstone.core.gunicorn_logging import redact_path


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/accounts/invitation/Abc-123_xyz/", "/accounts/invitation/[token]/"),
        ("/q/s3cr3t-token/", "/q/[token]/"),
        ("/q/done/", "/q/done/"),
        ("/clients/12/", "/clients/12/"),
        ("/accounts/sign-in/", "/accounts/sign-in/"),
    ],
)
def test_bearer_tokens_never_reach_the_access_log(path: str, logged: str) -> None:
    assert redact_path(path) == logged
