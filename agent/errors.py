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

from typing import Any

from pydantic import ValidationError


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


class _LocatedResolutionError(SkillResolutionError):
    """A resolution error that points at the file and line of the offending declaration."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.reason = message
        where = f"{path}:{line}: " if path and line is not None else f"{path}: " if path else ""
        super().__init__(f"{where}{message}")


class MissingDependencyError(_LocatedResolutionError):
    """A skill lists a dependency that is not on the skills path."""


class DependencyCycleError(_LocatedResolutionError):
    """Skills depend on (or invoke) each other in a loop; the message names the loop."""


class UnknownThreadError(UserError):
    """No run with that thread id exists in the configured database."""


class RunNotPausedError(UserError):
    """A resume was asked for a run that is not waiting for answers."""


class UnknownQuestionError(UserError):
    """A resume answered a question id the paused run did not ask."""


class ModelAPIError(ModelError):
    """The server refused or failed a request; carries what an operator needs to report it."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: str = "",
        request_id: str | None = None,
    ) -> None:
        self.status = status
        self.body = body[:500]
        self.request_id = request_id
        detail = f" (HTTP {status})" if status is not None else ""
        rid = f" [request id {request_id}]" if request_id else ""
        excerpt = f": {self.body}" if self.body else ""
        super().__init__(f"{message}{detail}{rid}{excerpt}")


class ModelRetryExhausted(ModelAPIError):
    """Transient faults (429, 5xx, timeouts, cut-off streams) outlasted the retry bound."""


class ModelOutputError(ModelError):
    """The reply still broke the requested schema after the repair retries; keeps the raw text."""

    def __init__(self, message: str, *, raw: str, errors: str = "") -> None:
        self.raw = raw
        self.errors = errors
        super().__init__(f"{message}: {errors}" if errors else message)


class ToolLoopError(ModelError):
    """The model kept calling tools past the round bound instead of answering."""


class ScriptedModelError(ConfigError):
    """A scripted model met a call its script does not cover (no reply, or not the one expected).

    The script author's mistake, not a model's or a server's: a user error. No reply
    is used up, so a run that stopped on it continues once the script is fixed.
    """


class NotOfferedError(UserError, ValueError):
    """A caller named a value the operator does not offer (a model spec, an evidence folder).

    Also a ``ValueError``: LangGraph Server passes on the message of ValueErrors only,
    and the caller needs it to pick an offered value.
    """


class ThreadBusyError(UserError):
    """Another process is running or resuming the same thread right now."""


class EvidenceError(UserError):
    """An evidence bundle file cannot be read as the documented format; names ``path:line``."""

    def __init__(self, message: str, *, path: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")


class PluginError(UserError):
    """A tool plugin cannot be imported or does not expose ``make_tools(ctx)``."""


def first_problem(exc: ValidationError) -> tuple[tuple[Any, ...], str]:
    """Location and message of a validation error's first problem, for one-line messages.

    pydantic's "Value error, " prefix is dropped: our validators already say what is wrong.
    """
    first = exc.errors()[0]
    return tuple(first["loc"]), first["msg"].removeprefix("Value error, ")


def dotted(loc: tuple[Any, ...], default: str) -> str:
    """``a.b.0`` for a location, ``default`` for the top level."""
    return ".".join(str(p) for p in loc) or default
