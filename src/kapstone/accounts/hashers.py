from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    """argon2id at OWASP's first recommended setting (m=19 MiB, t=2, p=1; ASVS 5.0 appendix C).

    Django's defaults (100 MiB, p=8) cost 0.6-1.3 s of CPU per sign-in on a 2-core server, which
    turns a burst of sign-ins into a queue and a password-guessing flood into a denial of service.
    Hashes made with other parameters are upgraded at the next successful sign-in.
    """

    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1
