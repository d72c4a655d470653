"""What one server instance is configured with, shared by every route."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from agent.access import TokenBook


@dataclass(frozen=True)
class ServerSettings:
    """Run database, tokens and defaults of one ``skillweave serve`` process.

    ``tokens`` None means no authentication (only allowed on loopback). ``start_wait``
    and ``answer_wait`` bound how long a POST waits for the run to pause or finish before
    answering with ``running`` (the run goes on in the background either way).
    ``models`` are the specs a caller may pick for a run besides ``model``: a spec names
    a server that gets the key, or a file on this host, so callers choose from a list
    the operator wrote. ``evidence_roots`` bound the folders a caller may name as
    evidence (default: the working directory).
    """

    db: str | None = None
    data_dir: Path | None = None
    tokens: TokenBook | None = field(default=None, repr=False)
    model: str | None = None
    models: tuple[str, ...] = ()
    evidence_roots: tuple[Path, ...] = ()
    skill_paths: tuple[Path, ...] = ()
    start_wait: float = 2.0
    answer_wait: float = 2.0
    poll_seconds: float = 1.0
    clock_seconds: float = 30.0
    """How often the clock keeper looks for newly paused runs (it wakes for deadlines anyway)."""
    keepalive_seconds: float = 15.0

    def offered_models(self) -> tuple[str, ...]:
        """The model specs a caller may name: the default first, then the allowed ones."""
        first = (self.model,) if self.model else ()
        return (*first, *(m for m in self.models if m != self.model))
