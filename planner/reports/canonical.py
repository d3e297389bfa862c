"""Canonical JSON: the byte form a plan revision's SHA-256 is computed over.

Keys sorted, no insignificant whitespace, UTF-8, no NaN or infinity (JSON has neither). The same
content always gives the same bytes, whatever the key order the database returns (PostgreSQL's
jsonb reorders keys) or the Python version. Pure Python: no Django import.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(value: Any) -> bytes:
    """``value`` (plain JSON types) as canonical UTF-8 bytes; ValueError on NaN or infinity."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_sha256(value: Any) -> str:
    """The SHA-256 (hex) of ``value``'s canonical JSON."""
    return sha256_hex(canonical_json(value))


def normalized(value: Any) -> Any:
    """``value`` as it reads back from a JSON column: tuples become lists, keys become strings.

    Hash what is stored, not what was built, so a revision checks out after a round trip.
    """
    return json.loads(canonical_json(value))
