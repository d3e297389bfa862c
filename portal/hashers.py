"""The password hasher: Argon2id with OWASP's parameters.

Django's Argon2PasswordHasher defaults to 100 MiB of memory and 8 lanes (time_cost 2,
memory_cost 102,400 KiB, parallelism 8): 0.21 s of CPU per sign-in here, spread over both
cores, so a burst of sign-ins (a team starting its day, bench/load.py's 50 owners) takes the
whole machine and every page waits. OWASP's Password Storage Cheat Sheet gives, as its first
configuration for Argon2id, 19 MiB of memory, 2 iterations and 1 degree of parallelism
(https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html): 25 ms of
one core here, still memory-hard against GPU guessing.

The parameters are stored in each hash, so hashes made with Django's defaults still verify,
and Django re-hashes them with these at the user's next sign-in (``must_update``).
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class OwaspArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
