"""The machine-readable guardrail policy that sits next to a SKILL.md.

Most guardrail lines are prose; the ones that can be checked in code are
declared in ``policy.yaml`` beside the skill so that they are enforced
deterministically and no model output can override them. Each rule names the
guardrail it enforces by the guardrail's id (the slug the parser gives its
text), so verdicts point back to the SKILL.md line. Guardrails without a rule
go to the LLM judge unless ``judge.guardrails`` says otherwise.

Format (``version: 1``)::

    version: 1
    rules:
      - id: severity-before-triage        # unique rule id
        kind: order                       # first runs before then
        guardrail: <guardrail id>
        first: severity-classification
        then: triage
        message: ...
      - kind: requires                    # a fact must be non-empty before a step
        fact: incident_commander
        before: mitigate
        produced_by: severity-classification   # optional: where to send the run back
        ask: {question: "Who is the IC?"}      # optional: a human supplies it instead
      - kind: approval                    # an action type needs a human yes
        action: forward-fix
        when: {fact: severity, in: [SEV1, SEV2]}   # optional condition
        approver: Incident Commander
        question: "Approve the forward-fix ...?"
      - kind: output                      # requirements on one output
        output: postmortem
        step: postmortem                  # optional: the step that writes it
        pattern: '^\\s*- \\[ \\]'         # optional regex (multiline), with min_count
        min_count: 1
      - kind: preserve                    # every cited evidence ref appears in the output
        output: postmortem
        step: postmortem
      - kind: deadline                    # a question waits at most this long
        step: triage                      # selects questions by step, trigger, template,
        question_kind: clarify            #   approval (rule id), question_kind (all must match)
        within: {fact: severity, table: {SEV1: 5m, SEV2: 30m}, default: 4h}   # or: 30m
        fallback: escalate                # answer | escalate | block
        escalate: {fact: severity, levels: [SEV4, SEV3, SEV2, SEV1]}
        # fallback: answer  → answer: "...", set: {fact: value}, note: "..."
        # fallback: block   → the run blocks with ``message``
      - kind: reminder                    # a due reminder while the run waits
        every: {fact: severity, table: {SEV1: 30m, SEV2: 1h}}
        message: Post a status update
    judge:
      guardrails: null                    # null: every guardrail without a rule
      skip_judge_in_eco: true
      at: each-step                       # or last-step: one call over every step's result
    tools: [incident, actions]            # tool plugins (or single tool names) it may use
    step_tools:                           # optional: the tools each step is offered
      triage: [search_logs, list_recent_changes]   # (others only through `more_tools`)
      postmortem: []                      # none offered up front: all through `more_tools`
    clarify:                              # optional: bounds on clarifying questions
      per_run: 6                          # questions asked per run (default: the run's settings)
      past_bound: assume                  # assume (go on, recorded) or block the run

A step not listed in ``step_tools`` is also given the tools its micro-skill text
names verbatim; a step that names none keeps every tool (``agent/graph/step_tools.py``).

Durations are ``90s``, ``30m``, ``4h``, ``2d`` or sums like ``1h30m``. Table keys
and escalation levels compare ignoring case, spaces and punctuation (``SEV-2`` is
``sev2``). ``deadline`` and ``reminder`` rules keep time; ``guardrail`` is optional
for them and they take no guardrail away from the judge (the judge reads what a
step wrote, a timer only what the clock says). The first deadline rule that
matches a question gives its deadline.

This module is pure apart from :func:`load_policy` reading the one file.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from agent.errors import SkillParseError
from agent.skill import _yaml
from agent.skill.model import Skill

POLICY_FILENAME = "policy.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Rule(_Strict):
    id: str = Field(min_length=1)
    guardrail: str = Field(min_length=1, description="Id of the guardrail line it enforces.")
    message: str = Field(min_length=1, description="What the run is told when the rule fails.")


class OrderRule(_Rule):
    """Step ``first`` must run before step ``then`` (the plan is repaired to respect it)."""

    kind: Literal["order"]
    first: str
    then: str


class FactQuestion(_Strict):
    """What a human is asked when the model did not produce a fact (``options``: choices)."""

    question: str = Field(min_length=1)
    options: list[str] = Field(default_factory=list)


class RequiresRule(_Rule):
    """A fact must be present and non-empty before ``before`` starts.

    When ``produced_by`` names the step that should have produced it, that step
    is sent back (``revise``) once it ran without producing the fact; if the
    fact is still missing when ``before`` is about to start, the run halts.
    With ``ask``, a human supplies the fact instead of the run halting: the step is
    asked once its revisions are used up, or at once when its reply was unusable,
    and the answer becomes the fact (recorded as the human's).
    """

    kind: Literal["requires"]
    fact: str
    before: str
    produced_by: str | None = None
    ask: FactQuestion | None = None


class Condition(_Strict):
    """``fact`` holds one of the ``in`` values (strings compare case-insensitively)."""

    fact: str
    in_: list[Any] = Field(alias="in", min_length=1)

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    def holds(self, facts: dict[str, Any]) -> bool:
        """Whether the condition is true of ``facts`` (a missing fact never matches)."""
        if self.fact not in facts:
            return False
        return _norm(facts[self.fact]) in {_norm(v) for v in self.in_}


def _norm(value: Any) -> Any:
    return value.strip().casefold() if isinstance(value, str) else value


class ApprovalRule(_Rule):
    """Actions of type ``action`` need a recorded human approval (when ``when`` holds)."""

    kind: Literal["approval"]
    action: str
    when: Condition | None = None
    approver: str = Field(min_length=1, description="Role that must approve, e.g. the IC.")
    question: str = Field(min_length=1)


class OutputRule(_Rule):
    """An output must be present and non-empty, and match ``pattern`` at least ``min_count``×."""

    kind: Literal["output"]
    output: str
    step: str | None = None
    pattern: str | None = None
    min_count: int = Field(default=1, ge=1)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regex: {exc}") from None
        return value


class PreserveRule(_Rule):
    """Every evidence reference cited during the run appears verbatim in ``output``."""

    kind: Literal["preserve"]
    output: str
    step: str | None = None


_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_duration(text: str) -> timedelta:
    """``1h30m``-style text as a timedelta; anything else is a ``ValueError``."""
    found = _DURATION.fullmatch(text.strip())
    if found is None or not text.strip():
        raise ValueError(f"invalid duration {text!r} (use e.g. 90s, 30m, 4h, 2d, 1h30m)")
    days, hours, minutes, seconds = (int(g or 0) for g in found.groups())
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def _valid_duration(text: str) -> str:
    parse_duration(text)
    return text


Duration = Annotated[str, AfterValidator(_valid_duration)]


def level_key(value: Any) -> str:
    """How table keys and levels compare: case, spaces and punctuation ignored."""
    return re.sub(r"[\W_]+", "", str(value)).casefold()


class FactTable(_Strict):
    """A duration looked up by the value of ``fact``; ``default`` when no key matches."""

    fact: str
    table: dict[str, Duration]
    default: Duration | None = None

    def lookup(self, facts: Mapping[str, Any]) -> timedelta | None:
        """The duration for the fact's current value (None: no entry and no default)."""
        wanted = level_key(facts.get(self.fact, ""))
        found = next((d for k, d in self.table.items() if level_key(k) == wanted), self.default)
        return parse_duration(found) if found is not None else None


def _window_kind(value: Any) -> str:
    return "fixed" if isinstance(value, str) else "by_fact"


Window = Annotated[
    Annotated[Duration, Tag("fixed")] | Annotated[FactTable, Tag("by_fact")],
    Discriminator(_window_kind),
]
"""A fixed duration, or one looked up by a fact (errors name the form that was meant)."""


def _span(value: str | FactTable, facts: Mapping[str, Any]) -> timedelta | None:
    return parse_duration(value) if isinstance(value, str) else value.lookup(facts)


class Escalation(_Strict):
    """Move ``fact`` one place along ``levels`` (listed from least to most severe)."""

    fact: str
    levels: list[str] = Field(min_length=2)

    def next_level(self, value: Any) -> str | None:
        """The level after ``value``; None at the top or for a value not on the list."""
        keys = [level_key(v) for v in self.levels]
        wanted = level_key(value)
        if wanted not in keys or keys.index(wanted) + 1 >= len(keys):
            return None
        return self.levels[keys.index(wanted) + 1]


class _TimerRule(_Strict):
    id: str = Field(min_length=1)
    guardrail: str | None = Field(default=None, description="The guardrail line it serves.")
    message: str = Field(min_length=1, description="What the audit log and the run are told.")


class DeadlineRule(_TimerRule):
    """Questions it selects must be answered ``within`` a time, or ``fallback`` applies.

    ``answer`` takes ``answer`` as the reply (by ``deadline:<id>``) and sets ``set``
    facts with ``note``; ``escalate`` moves a fact one level and restarts the window
    at the new level; ``block`` ends the run blocked with ``message``.
    """

    kind: Literal["deadline"]
    step: str | None = None
    trigger: str | None = None
    template: str | None = None
    approval: str | None = Field(default=None, description="Id of the approval rule asking.")
    question_kind: Literal["clarify", "approval"] | None = None
    within: Window
    fallback: Literal["answer", "escalate", "block"]
    answer: str | None = None
    set: dict[str, Any] = Field(default_factory=dict)
    note: str | None = None
    escalate: Escalation | None = None

    @model_validator(mode="after")
    def _fallback_complete(self) -> DeadlineRule:
        if self.fallback == "answer" and self.answer is None and not self.set:
            raise ValueError("fallback 'answer' needs 'answer' or 'set'")
        if self.fallback == "escalate" and self.escalate is None:
            raise ValueError("fallback 'escalate' needs 'escalate: {fact, levels}'")
        return self

    def selects(self, question: Mapping[str, Any], step: str | None) -> bool:
        """Whether this rule times ``question`` (asked in ``step``, without any prefix)."""
        wanted = {
            "step": (self.step, step),
            "trigger": (self.trigger, question.get("trigger")),
            "template": (self.template, question.get("template")),
            "approval": (self.approval, question.get("rule")),
            "question_kind": (self.question_kind, question.get("kind")),
        }
        return all(want is None or want == got for want, got in wanted.values())

    def window(self, facts: Mapping[str, Any]) -> timedelta | None:
        """How long a question may wait given ``facts`` (None: no deadline)."""
        return _span(self.within, facts)


class ReminderRule(_TimerRule):
    """While the run waits, a reminder comes due ``every`` interval from the run's start."""

    kind: Literal["reminder"]
    every: Window

    def interval(self, facts: Mapping[str, Any]) -> timedelta | None:
        """The cadence given ``facts`` (None: no reminders at this value)."""
        span = _span(self.every, facts)
        return span if span is not None and span > timedelta(0) else None


TimerRule = DeadlineRule | ReminderRule

Rule = Annotated[
    OrderRule
    | RequiresRule
    | ApprovalRule
    | OutputRule
    | PreserveRule
    | DeadlineRule
    | ReminderRule,
    Field(discriminator="kind"),
]


class JudgeSettings(_Strict):
    """Which guardrails the LLM judge sees, when, and whether eco-mode steps skip it.

    ``at: each-step`` judges a step's result right after the step (one call per step
    with judged guardrails); ``last-step`` waits for the plan's last step and judges
    every step's result in one call: fewer calls, but a revision asked for then re-runs
    the steps after the one it sends back.
    """

    guardrails: list[str] | None = Field(
        default=None, description="None: every guardrail without a deterministic rule."
    )
    skip_judge_in_eco: bool = False
    at: Literal["each-step", "last-step"] = "each-step"


class ClarifySettings(_Strict):
    """How many clarifying questions a run may ask, and what happens past that.

    ``per_run`` None leaves the run's own setting (``GraphSettings.max_clarify_questions``).
    Past the bound the step goes on with its assumption recorded (``assume``) or the
    run blocks with a violation that says which questions were not asked (``block``).
    """

    per_run: int | None = Field(default=None, ge=0)
    past_bound: Literal["assume", "block"] = "assume"


class Policy(_Strict):
    """A skill's deterministic guardrail rules plus its judge settings."""

    version: Literal[1] = 1
    rules: list[Rule] = Field(default_factory=list)
    judge: JudgeSettings = Field(default_factory=JudgeSettings)
    tools: list[str] = Field(
        default_factory=list,
        description="Tool plugins (module names) or tool names the skill may use.",
    )
    step_tools: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Step id → the tool names it is offered (the others on request).",
    )
    clarify: ClarifySettings = Field(default_factory=ClarifySettings)

    @field_validator("rules")
    @classmethod
    def _unique_ids(cls, rules: list[Rule]) -> list[Rule]:
        seen: set[str] = set()
        for rule in rules:
            if rule.id in seen:
                raise ValueError(f"duplicate rule id {rule.id!r}")
            seen.add(rule.id)
        return rules

    def ruled_guardrails(self) -> set[str]:
        """Guardrail ids that at least one deterministic rule enforces (timers keep time only)."""
        return {r.guardrail for r in self.rules if not isinstance(r, _TimerRule)}

    def deadline_rules(self) -> list[DeadlineRule]:
        """The ``deadline`` rules, in policy order (the first that selects a question wins)."""
        return [r for r in self.rules if isinstance(r, DeadlineRule)]

    def reminder_rules(self) -> list[ReminderRule]:
        """The ``reminder`` rules."""
        return [r for r in self.rules if isinstance(r, ReminderRule)]

    def judged_guardrails(self, guardrail_ids: Sequence[str]) -> list[str]:
        """The ids (of ``guardrail_ids``, in order) left to the LLM judge."""
        if self.judge.guardrails is not None:
            wanted = set(self.judge.guardrails)
            return [g for g in guardrail_ids if g in wanted]
        ruled = self.ruled_guardrails()
        return [g for g in guardrail_ids if g not in ruled]


def policy_problems(policy: Policy, skill: Skill) -> list[str]:
    """Names in ``policy`` that ``skill`` does not have (guardrails, steps, outputs).

    A rule that names an unknown step or guardrail would silently never fire,
    so the linter and the compiler report these instead.
    """
    guardrails = {g.id for g in skill.guardrails}
    steps = {m.id for m in skill.micro_skills}
    outputs = {f.name for f in skill.outputs}
    problems = [
        f"judge.guardrails: unknown guardrail id {g!r}"
        for g in policy.judge.guardrails or []
        if g not in guardrails
    ]
    problems += [f"step_tools: unknown step {s!r}" for s in policy.step_tools if s not in steps]
    approvals = {r.id for r in policy.rules if isinstance(r, ApprovalRule)}
    triggers = {t.id for t in skill.ambiguity.triggers}
    templates = {q.id for q in skill.ambiguity.questions}
    for rule in policy.rules:
        named: list[tuple[str, str | None, set[str]]] = [("guardrail", rule.guardrail, guardrails)]
        if isinstance(rule, DeadlineRule):
            named += [
                ("step", rule.step, steps),
                ("trigger", rule.trigger, triggers),
                ("template", rule.template, templates),
                ("approval", rule.approval, approvals),
            ]
        elif isinstance(rule, OrderRule):
            named += [("first", rule.first, steps), ("then", rule.then, steps)]
        elif isinstance(rule, RequiresRule):
            named += [("before", rule.before, steps), ("produced_by", rule.produced_by, steps)]
            if rule.ask is not None and rule.produced_by is None:
                problems.append(f"rule {rule.id!r}: ask needs produced_by (the step asked)")
        elif isinstance(rule, (OutputRule, PreserveRule)):
            named += [("step", rule.step, steps)]
            if outputs:  # a skill without an Outputs table may still produce fields
                named += [("output", rule.output, outputs)]
        problems += [
            f"rule {rule.id!r}: unknown {key} {value!r}"
            for key, value, known in named
            if value is not None and value not in known
        ]
    return problems


def parse_policy(text: str, *, path: str | None = None) -> Policy:
    """Validate policy YAML; a mistake raises ``SkillParseError`` at ``path:line``."""
    try:
        root = _yaml.compose(text)
        data = _yaml.load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise SkillParseError(f"invalid YAML: {reason}", path=path, line=line) from None
    if data is None:
        return Policy()
    if not isinstance(data, dict):
        raise SkillParseError("a policy must be a mapping with 'rules'", path=path, line=1)
    _check_unique_ids(data, root, path)
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = _yaml_path(first["loc"])
        key = ".".join(str(p) for p in loc) or "<policy>"
        raise SkillParseError(
            f"{key}: {first['msg']}", path=path, line=line_of(root, loc)
        ) from None


def _check_unique_ids(data: dict[str, Any], root: yaml.Node | None, path: str | None) -> None:
    """Report a repeated rule id at the repeat (the model validator cannot know its line)."""
    rules = data.get("rules")
    seen: set[Any] = set()
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        rule_id = rule.get("id") if isinstance(rule, dict) else None
        if rule_id is not None and rule_id in seen:
            line = line_of(root, ["rules", index, "id"])
            raise SkillParseError(
                f"rules.{index}.id: duplicate rule id {rule_id!r}", path=path, line=line
            )
        seen.add(rule_id)


def _yaml_path(loc: Sequence[Any]) -> list[Any]:
    """The error path without the rule kind pydantic inserts after ``rules.<n>``."""
    parts = list(loc)
    if len(parts) > 2 and parts[0] == "rules" and isinstance(parts[1], int):
        del parts[2]
    return parts


def line_of(node: yaml.Node | None, loc: Sequence[Any]) -> int | None:
    """1-based line of the deepest YAML node along ``loc``, so messages point into the file."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            child = node.value[part] if part < len(node.value) else None
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line


def load_policy(skill_path: Path) -> Policy | None:
    """The policy beside ``skill_path`` (a SKILL.md or its folder); None when there is none."""
    folder = skill_path if skill_path.is_dir() else skill_path.parent
    file = folder / POLICY_FILENAME
    if not file.is_file():
        return None
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SkillParseError(f"cannot read policy: {exc}", path=str(file)) from None
    return _parsed(text, str(file))


@functools.lru_cache(maxsize=64)
def _parsed(text: str, path: str) -> Policy:
    """Parsing is the cost of loading (YAML with line marks); every run loads the same text."""
    return parse_policy(text, path=path)
