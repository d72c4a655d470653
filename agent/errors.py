"""The one exception hierarchy of skillweave, split by who has to act.

- :class:`UserError` and its subclasses: the caller, the skill author or the
  operator made a mistake they can fix (bad skill file, unknown thread, bad
  flag). The CLI prints the message on one line and exits with code 2.
- :class:`ModelError` and its subclasses: the model or its server misbehaved
  (API fault, output that breaks the schema after repair). Retrying later or
  switching model may help.
- :class:`RunError`: the run itself could not go on (runaway loop, guardrail
  halt, killed process); the message says how to resume.

Every message names the file, line, node or key involved so that the person
reading it knows where to look.
"""

from __future__ import annotations


class SkillweaveError(Exception):
    """Root of every error skillweave raises on purpose."""


class UserError(SkillweaveError):
    """Something the caller can fix: input, configuration or usage."""


class SkillParseError(UserError):
    """A skill file cannot be turned into a model; carries ``path:line``."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.reason = message
        super().__init__(self._render())

    def _render(self) -> str:
        where = self.path or "<text>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.reason}"

    def with_path(self, path: str) -> SkillParseError:
        """Return the same error located in ``path`` (the parser itself sees only text)."""
        return SkillParseError(self.reason, path=path, line=self.line)


class SkillResolutionError(UserError):
    """Skills parse but do not fit together: missing dependency, cycle, unknown name."""


class ConfigError(UserError):
    """A setting (model spec, key, URL, data directory) is missing or malformed."""


class ModelError(SkillweaveError):
    """The model or its server failed us; nothing the skill author did wrong."""


class RunError(SkillweaveError):
    """A run could not continue; the message says why and how to resume."""
