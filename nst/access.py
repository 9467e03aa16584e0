"""Who is who when the studio is shared on a network: the owner, and guests with limits (pure, no Streamlit).

Without sharing mode (``NST_SHARE`` unset) the server listens on 127.0.0.1 only and every session
is the owner. With ``NST_SHARE=1`` a session is the owner only after it presented the owner
token (``NST_OWNER_TOKEN``), compared in constant time; every other session is a guest, whose
paintings are capped by :func:`guest_params_error` (their share of the queue: nst/queue_policy.py).
The fast preview and the all-styles sheet are open to guests as they are: forward passes of a second or
less, not queued runs.
"""

from __future__ import annotations

import hmac
import os
from typing import Mapping

from nst.params import StyleParams, with_quality

OWNER = "owner"
GUEST = "guest"
SHARE_ENV = "NST_SHARE"
TOKEN_ENV = "NST_OWNER_TOKEN"

GUEST_MAX_SIZE = 512
GUEST_QUALITY = "Standard"
STANDARD = with_quality(StyleParams(), GUEST_QUALITY)
GUEST_MAX_SECONDS = 60.0  # a timed run's budget (method comparisons)
GUEST_MAX_SWEEP = 4  # 2 x 2
REFUSED = "That is for the studio's owner only: guests can paint, browse and download."


def sharing(env: Mapping[str, str] = os.environ) -> bool:
    return env.get(SHARE_ENV) == "1"


def token_matches(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison; an empty or missing token never matches."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def role(share: bool, granted: bool) -> str:
    """OWNER without sharing mode (only this machine can connect) or with the grant; else GUEST."""
    return OWNER if not share or granted else GUEST


def is_owner(share: bool, granted: bool) -> bool:
    return role(share, granted) == OWNER


def guest_params_error(params: StyleParams, n_items: int = 1) -> str | None:
    """Why a guest may not paint this (one sentence), or None: at most 512 px, no costlier than the
    Standard quality (Preview and the sweeps' Preview runs are cheaper; a method comparison's runs
    are held to a time budget of at most a minute each instead), and batches of at most 2 x 2 runs."""
    if params.size > GUEST_MAX_SIZE:
        return f"Guests paint at most {GUEST_MAX_SIZE} px; choose a smaller output size."
    timed = 0 < params.time_limit <= GUEST_MAX_SECONDS
    if params.scales > STANDARD.scales or (params.total_steps() > STANDARD.total_steps() and not timed):
        return "Guests paint at the Standard quality at most; choose Standard."
    if n_items > GUEST_MAX_SWEEP:
        return "Guests run sweeps of at most 2 × 2; choose fewer values."
    return None
