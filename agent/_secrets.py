"""Credential scrubbing shared by every layer that shows text to a model, a log or an operator.

Pure (no I/O, no imports from the rest of skillweave) so the model layer, the
evidence layer and, later, the audit log can all use it without import cycles.
Each redaction says what it hid, ``[redacted:password]``, so a reader knows a
value was there and of what kind, while the value itself is gone. Patterns
match shapes (``sk-…``, ``ghp_…``, ``AKIA…``, JWTs, key blocks, URL passwords,
``password=…`` pairs) and, in mappings, keys by name (``db_password``,
``api_key``). A well-tested regex set was chosen over detect-secrets: that
tool finds lines, not the exact span to mask, and pulls in ``requests``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

EXCERPT = 300
"""How much of a server's error body a message quotes."""


def marker(kind: str) -> str:
    """The text that stands in for a redacted value of ``kind``."""
    return f"[redacted:{kind}]"


_NOT_REDACTED = r"(?!\[redacted)"

# (kind, pattern, group to mask); group 0 masks the whole match. Order matters:
# specific shapes first, so a JWT inside ``Bearer …`` is masked once, as a bearer token.
_PATTERNS: tuple[tuple[str, re.Pattern[str], int], ...] = (
    (
        "private_key",
        re.compile(
            r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----"
            r"(?:[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|[\s\S]*)"
        ),
        0,
    ),
    (
        "password",
        re.compile(r"\b[a-z][a-z0-9+.\-]*://[^\s:/@?#]+:" + _NOT_REDACTED + r"([^\s@/?#]+)@", re.I),
        1,
    ),
    ("bearer_token", re.compile(r"\bBearer\s+" + _NOT_REDACTED + r"([A-Za-z0-9._~+/=\-]{8,})"), 1),
    ("basic_auth", re.compile(r"\bBasic\s+" + _NOT_REDACTED + r"([A-Za-z0-9+/]{12,}={0,2})"), 1),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_\-]{4,}\.eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*"), 0),
    (
        "github_token",
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"),
        0,
    ),
    ("slack_token", re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}"), 0),
    ("api_key", re.compile(r"\b(?:sk|rk|pk)[-_](?:live_|test_|proj-|ant-)?[A-Za-z0-9_\-]{16,}"), 0),
    ("aws_access_key", re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[A-Z0-9]{16}\b"), 0),
    (
        # AWS secret access keys: 40 characters of base64 with every character class mixed in
        "aws_secret_key",
        re.compile(
            r"(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[A-Z])"
            r"(?=[A-Za-z0-9/+]*[0-9])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"
        ),
        0,
    ),
)

_PAIR_KEYS = (
    r"password|passwd|pwd|secret|client[_\-]?secret|secret[_\-]?(?:access[_\-]?)?key"
    r"|api[_\-]?key|apikey|access[_\-]?token|auth[_\-]?token|refresh[_\-]?token|token"
    r"|private[_\-]?key|credentials?"
)
_PAIR = re.compile(
    r"(?<![A-Za-z0-9])((?:[A-Za-z0-9]+[_.\-])*("
    + _PAIR_KEYS
    + r"))[\"']?\s*[:=]\s*[\"']?"
    + _NOT_REDACTED
    + r"([^\s\"'&,;]+)",
    re.I,
)
_SECRET_KEY = re.compile(
    r"(?:^|[_\-.])(" + _PAIR_KEYS + r"|authorization|auth)$",
    re.I,
)


def _kind_of_key(name: str) -> str:
    lowered = name.lower().replace("-", "_")
    if any(p in lowered for p in ("password", "passwd", "pwd")):
        return "password"
    if "token" in lowered or "authorization" in lowered or lowered.endswith("auth"):
        return "token"
    if "api_key" in lowered or "apikey" in lowered:
        return "api_key"
    if "private" in lowered:
        return "private_key"
    return "secret"


def _pair(match: re.Match[str]) -> str:
    whole = match.group(0)
    value = match.group(3)
    if value.startswith("[redacted"):
        return whole
    return whole[: match.start(3) - match.start(0)] + marker(_kind_of_key(match.group(2)))


def _masker(kind: str, group: int) -> Callable[[re.Match[str]], str]:
    def mask(match: re.Match[str]) -> str:
        whole, start = match.group(0), match.start(0)
        head, tail = whole[: match.start(group) - start], whole[match.end(group) - start :]
        return head + marker(kind) + tail

    return mask


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every credential-shaped span, and each of ``secrets``, replaced by a marker."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, marker("secret"))
    for kind, pattern, group in _PATTERNS:
        if group == 0:
            text = pattern.sub(marker(kind), text)
        else:
            text = pattern.sub(_masker(kind, group), text)
    return _PAIR.sub(_pair, text)


def secret_key(name: str) -> bool:
    """Whether a field named ``name`` (``db_password``, ``api_key``...) holds a secret by name."""
    return bool(_SECRET_KEY.search(name.strip()))


def scrub_value(value: Any, secrets: Iterable[str] = ()) -> Any:
    """``value`` with secrets redacted, recursively: mapping values by key name, strings by shape.

    Non-string leaves (numbers, booleans, None) are kept unless their key names a secret.
    """
    known = tuple(secrets)
    if isinstance(value, dict):
        return {
            k: (
                marker(_kind_of_key(k))
                if isinstance(k, str) and secret_key(k) and value[k] not in (None, "")
                else scrub_value(v, known)
            )
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [scrub_value(v, known) for v in value]
    if isinstance(value, str):
        return scrub(value, known)
    return value


def excerpt(text: str, secrets: Iterable[str] = (), limit: int = EXCERPT) -> str:
    """The first ``limit`` characters of ``text`` on one line, scrubbed before it is cut.

    Scrubbing first matters: a cut through the middle of a key would leave a
    prefix that no longer looks like one.
    """
    flat = " ".join(scrub(text, secrets).split())
    return flat if len(flat) <= limit else flat[:limit] + "…"
