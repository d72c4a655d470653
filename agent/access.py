"""Who may call the front doors: bearer tokens from one YAML file, shared by MCP and HTTP.

The file (``--tokens FILE`` or ``SKILLWEAVE_TOKENS_FILE``) is a list of
``{token, principal, role}`` entries, with an optional ``team``::

    - token: "s3cr3t-operator-token"
      principal: dana
      role: operator        # operator: start and answer runs; viewer: read only
      team: payments        # optional: members of a team see each other's runs

A run belongs to the principal that started it; another principal sees it only
when both are in the same team. Tokens are compared in constant time and never
appear in a repr, a log line or an error message.
"""

from __future__ import annotations

import hmac
import math
import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.errors import ConfigError, dotted, first_problem

TOKENS_ENV = "SKILLWEAVE_TOKENS_FILE"
Role = Literal["operator", "viewer"]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=16)
    principal: str = Field(min_length=1)
    role: Role
    team: str | None = None


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: who, what they may do, and whose runs they may see."""

    name: str
    role: Role
    team: str | None = None

    @property
    def can_act(self) -> bool:
        """Operators start and answer runs; viewers only read."""
        return self.role == "operator"

    def may_see(self, owner: str | None, owner_team: str | None = None) -> bool:
        """Whether a run started by ``owner`` (of ``owner_team``) is this caller's to see."""
        if owner is None or owner == self.name:
            return True
        return self.team is not None and self.team == owner_team


@dataclass
class SignInGuard:
    """Makes guessing tokens slow: an address with ``limit`` wrong tokens in ``window``
    seconds is refused (HTTP 429) until the oldest of them leaves the window.

    Kept per process, in memory, by address: enough to stop a loop of guesses
    against one server; a fleet behind a proxy needs the proxy's own limit.
    """

    limit: int = 10
    window: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, deque[float]] = field(default_factory=dict, repr=False)

    def retry_after(self, address: str) -> int:
        """Whole seconds before ``address`` may present a token again (0: it may now)."""
        times = self._failures.get(address)
        if times is None:
            return 0
        now = self.clock()
        while times and now - times[0] >= self.window:
            times.popleft()
        if not times:
            del self._failures[address]
            return 0
        return math.ceil(self.window - (now - times[0])) if len(times) >= self.limit else 0

    def failed(self, address: str) -> None:
        """Count a wrong token from ``address``."""
        if len(self._failures) > 10_000:  # forget idle addresses rather than grow forever
            for known in list(self._failures):
                self.retry_after(known)
        self._failures.setdefault(address, deque()).append(self.clock())


@dataclass(frozen=True)
class TokenBook:
    """The tokens file, read once; looks callers up by token.

    ``guard`` counts wrong tokens per address for every front door that shares the book.
    """

    _entries: tuple[tuple[str, Principal], ...] = field(repr=False)
    guard: SignInGuard = field(default_factory=SignInGuard, compare=False, repr=False)

    def principal_for(self, token: str | None) -> Principal | None:
        """The principal a bearer token belongs to, or None (compared in constant time)."""
        if not token:
            return None
        found = None
        for known, principal in self._entries:
            if hmac.compare_digest(known.encode("utf-8"), token.encode("utf-8")):
                found = principal
        return found

    def team_of(self, name: str) -> str | None:
        """The team of a principal named in the file (None when it has none)."""
        return next((p.team for _, p in self._entries if p.name == name), None)

    def __len__(self) -> int:
        return len(self._entries)


def load_tokens(path: Path) -> TokenBook:
    """Read a tokens file; a mistake in it is a ConfigError naming the entry (never a token)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"tokens file {path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError:
        raise ConfigError(f"tokens file {path}: not valid YAML") from None
    if not isinstance(data, list) or not data:
        raise ConfigError(
            f"tokens file {path}: must be a non-empty list of {{token, principal, role}}"
        )
    entries = []
    for index, raw in enumerate(data):
        try:
            entry = _Entry.model_validate(raw)
        except ValidationError as exc:
            loc, message = first_problem(exc)
            raise ConfigError(
                f"tokens file {path}: entry {index}: {dotted(loc, 'entry')}: {message}"
            ) from None
        entries.append((entry.token, Principal(entry.principal, entry.role, entry.team)))
    if len({t for t, _ in entries}) != len(entries):
        raise ConfigError(f"tokens file {path}: the same token is listed twice")
    return TokenBook(tuple(entries))


def tokens_from(option: Path | None) -> TokenBook | None:
    """The tokens file given by the option, else by ``SKILLWEAVE_TOKENS_FILE``, else None."""
    path = option or (Path(os.environ[TOKENS_ENV]) if os.environ.get(TOKENS_ENV) else None)
    return load_tokens(path) if path is not None else None


def under_roots(path: Path, roots: tuple[Path, ...]) -> bool:
    """Whether ``path`` lies under one of ``roots`` (the working directory when none).

    A front door lets a caller name files on the server (evidence folders, scripts)
    only inside the folders its operator allowed, so a token cannot read the host.
    """
    resolved = path.resolve()
    return any(resolved.is_relative_to(root.resolve()) for root in roots or (Path.cwd(),))
