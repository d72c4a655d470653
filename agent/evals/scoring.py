"""Score a transcript against every Success Criteria line of its skill.

Scorers per criterion come from two places: the skill's own ``scorers.yaml``
beside its SKILL.md (the default mapping), and a suite's ``scorers:``, which
replaces the default for each criterion it names. Both use one format::

    criterion-id:                 # the slug of a Success Criteria line
      - present: $.outputs.severity
      - within: {from: started, to: {field: severity}, max: 5m}
      - judge: {instructions: ..., samples: 3}
    other-criterion-id:
      - default                   # (suite only) the skill's default checks for it
      - equals: {path: $.outputs.severity, expected: severity}

A suite's ``checks:`` adds named lists of checks beyond the skill's criteria,
scored and reported like them. A criterion passes when all its checks pass;
its score is the mean of theirs.
Check kinds: :mod:`agent.evals.checks` and :mod:`agent.evals.judge`. With a
judge model configured, a criterion that has no scorer is judged on its own
text. Fail closed: without one it is reported as errored, and an undecidable
check (missing ground truth, unusable judge reply) errors its criterion.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import ValidationError

from agent.errors import UserError, dotted, first_problem
from agent.evals.checks import CHECKS, Outcome, Subject, build_check, run_check
from agent.evals.judge import Judge
from agent.evals.results import CriterionResult, ScoreContext
from agent.skill import _yaml
from agent.skill.model import Criterion, Skill
from agent.skill.policy import line_of

if TYPE_CHECKING:
    from agent.engine.transcript import Transcript

SCORERS_FILE = "scorers.yaml"
"""The skill's default scorer mapping, beside its SKILL.md."""
KINDS = (*CHECKS, "judge")
NO_SCORER = "no scorer for this criterion (add one to the suite's `scorers:` or scorers.yaml)"


@dataclass(frozen=True)
class Where:
    """A place in a scorer file, shown as ``file:line``."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


class ScorerConfigError(UserError):
    """A scorer mapping is malformed; the message names the file, line and criterion."""

    def __init__(self, where: Where, message: str) -> None:
        self.where = where
        self.reason = message
        super().__init__(f"{where}: {message}")


Locate = Callable[[Sequence[Any]], Where]
"""Where the YAML node at a key path is, for error messages."""


@dataclass(frozen=True)
class Part:
    """One configured check of a criterion."""

    kind: str
    spec: Any  # a check from agent.evals.checks, or a Judge


@dataclass(frozen=True)
class ScorerPlan:
    """The scorers of every criterion of one skill, checked before any run starts.

    ``extra`` holds a suite's own named checks beyond the skill's criteria
    (e.g. "asks when ambiguous"); they are scored and reported like criteria.
    """

    skill: Skill
    parts: Mapping[str, tuple[Part, ...]]
    extra: Mapping[str, tuple[Part, ...]] = field(default_factory=dict)

    async def score(self, transcript: Transcript, ctx: ScoreContext) -> list[CriterionResult]:
        """One result per success criterion in the skill's order, then the extra checks."""
        subject = Subject(transcript, ctx.expected)
        results = [await self._criterion(c, subject, ctx) for c in self.skill.success_criteria]
        for name in self.extra:
            # No criterion text: a judge among the extra checks takes its rubric from
            # its instructions alone.
            named = Criterion(id=name, text="", line=0)
            results.append(await self._criterion(named, subject, ctx, self.extra[name]))
        return results

    async def _criterion(
        self,
        criterion: Criterion,
        subject: Subject,
        ctx: ScoreContext,
        parts: tuple[Part, ...] | None = None,
    ) -> CriterionResult:
        parts = self.parts.get(criterion.id, ()) if parts is None else parts
        if not parts and ctx.judge is not None and criterion.text.strip():
            # Any skill can be scored: with a judge model, a criterion without a
            # deterministic scorer is judged on its own text.
            parts = (Part("judge", Judge()),)
        if not parts:
            return CriterionResult(
                key=criterion.id, passed=False, score=0.0, comment=NO_SCORER, error=NO_SCORER
            )
        outcomes = [await _run(part, subject, criterion, ctx) for part in parts]
        errors = [f"{p.kind}: {o.error}" for p, o in zip(parts, outcomes, strict=True) if o.error]
        scores = [o.score if o.score is not None else float(o.passed) for o in outcomes]
        comment = "; ".join(
            f"{'ok' if o.passed else 'FAIL'} {p.kind}: {o.comment}"
            for p, o in zip(parts, outcomes, strict=True)
        )
        return CriterionResult(
            key=criterion.id,
            passed=not errors and all(o.passed for o in outcomes),
            score=sum(scores) / len(scores),
            comment=comment,
            evidence=sorted({e for o in outcomes for e in o.evidence}),
            error="; ".join(errors) or None,
        )


async def _run(part: Part, subject: Subject, criterion: Criterion, ctx: ScoreContext) -> Outcome:
    if isinstance(part.spec, Judge):
        return await part.spec.run(subject, criterion, ctx.judge)
    return run_check(part.spec, subject)


# --- reading mappings ------------------------------------------------------------------


def _part(item: Any, loc: list[Any], locate: Locate, criterion: str) -> Part:
    if not (isinstance(item, dict) and len(item) == 1 and next(iter(item)) in KINDS):
        raise ScorerConfigError(
            locate(loc),
            f"{criterion}: each check is a one-key mapping with one of "
            f"{', '.join(KINDS)}" + (" (or `default` in a suite)" if loc[0] == "scorers" else ""),
        )
    ((kind, value),) = item.items()
    try:
        spec = Judge.model_validate(value) if kind == "judge" else build_check(kind, value)
    except ValidationError as exc:
        field_loc, message = first_problem(exc)
        detail = f"{dotted(field_loc, '')}: {message}" if field_loc else message
        # The line of the offending field itself when the file has it (else the check's).
        at = locate([*loc, kind, *field_loc])
        raise ScorerConfigError(at, f"{criterion}: {kind}: {detail}") from None
    return Part(kind, spec)


def _parts(
    items: Any,
    loc: list[Any],
    locate: Locate,
    key: str,
    defaults: Mapping[str, tuple[Part, ...]] | None,
) -> tuple[Part, ...]:
    parts: list[Part] = []
    for i, item in enumerate(items if isinstance(items, list) else [items]):
        if item == "default" and defaults is not None:
            if not defaults.get(key):
                raise ScorerConfigError(locate([*loc, i]), f"{key}: the skill has no default")
            parts.extend(defaults[key])
        else:
            parts.append(_part(item, [*loc, i], locate, key))
    return tuple(parts)


def parse_scorers(
    raw: Any,
    skill: Skill,
    locate: Locate,
    *,
    prefix: Sequence[Any] = (),
    defaults: Mapping[str, tuple[Part, ...]] | None = None,
) -> dict[str, tuple[Part, ...]]:
    """Validate a mapping of criterion id → checks against ``skill``.

    With ``defaults`` (a suite's mapping), the item ``default`` stands for the
    skill's default checks of that criterion.
    """
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ScorerConfigError(locate(prefix), "scorers must map criterion ids to checks")
    known = {c.id for c in skill.success_criteria}
    parsed: dict[str, tuple[Part, ...]] = {}
    for key, items in raw.items():
        loc = [*prefix, key]
        if key not in known:
            raise ScorerConfigError(
                locate(loc),
                f"unknown criterion {key!r}; {skill.name}'s criteria are "
                f"{', '.join(c.id for c in skill.success_criteria)}",
            )
        parsed[key] = _parts(items, loc, locate, key, defaults)
    return parsed


_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")


def parse_extra_checks(raw: Any, skill: Skill, locate: Locate) -> dict[str, tuple[Part, ...]]:
    """A suite's ``checks:``: named lists of checks beyond the skill's criteria."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ScorerConfigError(locate(["checks"]), "checks must map names to lists of checks")
    criteria = {c.id for c in skill.success_criteria}
    parsed: dict[str, tuple[Part, ...]] = {}
    for name, items in raw.items():
        loc = ["checks", name]
        if not isinstance(name, str) or not _NAME.fullmatch(name) or name in criteria:
            raise ScorerConfigError(
                locate(loc),
                f"check name {name!r} must be a lowercase slug (a-z, 0-9, -) and not one of "
                "the skill's criteria (their checks go under `scorers:`)",
            )
        parts = _parts(items, loc, locate, name, None)
        if not parts:
            raise ScorerConfigError(locate(loc), f"{name}: no checks listed")
        parsed[name] = parts
    return parsed


def yaml_locator(file: Path, text: str) -> Locate:
    """Places for key paths into ``text`` (the line of the deepest node found)."""
    try:
        root = _yaml.compose(text)
    except yaml.YAMLError:
        root = None

    def locate(loc: Sequence[Any]) -> Where:
        return Where(str(file), line_of(root, loc))

    return locate


def default_scorers(skill: Skill) -> dict[str, tuple[Part, ...]]:
    """The skill's ``scorers.yaml`` mapping; empty when it ships none."""
    if skill.path is None:
        return {}
    file = Path(skill.path).parent / SCORERS_FILE
    if not file.is_file():
        return {}
    try:
        text = file.read_text(encoding="utf-8")
        raw = _yaml.load(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise ScorerConfigError(Where(str(file)), f"cannot read ({exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = Where(str(file), mark.line + 1 if mark is not None else None)
        raise ScorerConfigError(where, f"not valid YAML ({' '.join(str(exc).split())})") from None
    return parse_scorers(raw, skill, yaml_locator(file, text))


def scorer_plan(
    skill: Skill,
    suite_scorers: Any = None,
    locate: Locate | None = None,
    *,
    suite_checks: Any = None,
) -> ScorerPlan:
    """The skill's defaults with a suite's ``scorers:`` laid over them, criterion by criterion,
    plus the suite's own named ``checks:``."""
    defaults = default_scorers(skill)
    where = locate or (lambda loc: Where("suite"))
    overrides = parse_scorers(suite_scorers, skill, where, prefix=("scorers",), defaults=defaults)
    extra = parse_extra_checks(suite_checks, skill, where)
    return ScorerPlan(skill, {**defaults, **overrides}, extra)
