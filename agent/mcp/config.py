"""The settings one ``skillweave mcp`` server runs with, shared by every tool."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from agent.access import Principal, TokenBook, under_roots
from agent.engine.api import ModelArg
from agent.mcp.auth import local_principal


@dataclass(frozen=True)
class ServerConfig:
    """Which model runs, where runs are kept, where skills and evidence may come from, who calls.

    ``model`` is a spec (``scripted:PATH``, ``openai:NAME``…) or, in code, a model
    object; None falls back to ``SKILLWEAVE_MODEL``. ``tokens`` is the token book of
    the HTTP transport (None on stdio, where every caller is ``local``).
    ``evidence_roots`` bounds the folders a caller may name as evidence (default:
    the working directory).
    ``request_state_ttl`` is how long (seconds) a client may take to answer the
    questions of one input-required round before it has to use ``answer_run``.
    """

    model: ModelArg = None
    db: str | None = None
    data_dir: Path | None = None
    skill_paths: tuple[Path, ...] = ()
    evidence_roots: tuple[Path, ...] = ()
    tokens: TokenBook | None = None
    local: Principal = field(default_factory=local_principal)
    request_state_ttl: float = 600.0

    def evidence_allowed(self, path: Path) -> bool:
        """Whether ``path`` lies under an allowed evidence root."""
        return under_roots(path, self.evidence_roots)
