"""The one way a secret token is stored: its SHA-256, never the token itself.

API keys (clinic.services.api_keys) and patients' invitation links keep only
this hash; a stolen database row cannot be replayed. The tokens are long and
random, so a plain (unsalted, fast) hash is enough: there is nothing to guess.
"""

from __future__ import annotations

import hashlib


def token_hash(raw: str) -> str:
    """The hex SHA-256 of `raw`, as stored in a token's `*_hash` column."""
    return hashlib.sha256(raw.encode()).hexdigest()
