from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from kapstone.accounts.models import User


class EmailBackend(ModelBackend):
    """Email sign-in, case-insensitive. Spends the same hashing time whether or not the account exists."""

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        email: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not email or password is None:
            return None
        try:
            user = User.objects.get(email=email.strip().lower())
        except User.DoesNotExist:
            User().set_password(password)  # equalise timing: no account-enumeration oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
