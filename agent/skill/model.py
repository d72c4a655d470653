"""Typed, serializable model of a parsed SKILL.md.

These are plain data: the parser builds them from text, the library resolves
them, the graph compiles them. Every item that a runtime acts on keeps the
1-based ``line`` it came from so that verdicts, errors and audit events can
point back into the file. Ids are slugs derived from the item's own text, so
they survive re-parsing and insertions elsewhere in the file (a policy file or
an eval suite can refer to them).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Mode = Literal["eco", "power"]
Severity = Literal["error", "warning"]


class _Item(BaseModel):
    # The parser types every value itself and builds items with ``model_construct``, so
    # loading skills neither validates twice nor builds a schema: that is deferred to the
    # first validation or dump (a checkpoint, a transcript), keeping light commands fast.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Diagnostic(_Item):
    """A problem found in a skill that does not stop parsing (lint or structure)."""

    severity: Severity
    line: int
    message: str
    rule: str = Field(description="Short stable rule name, e.g. 'duplicate-micro-skill'.")


class MicroSkill(_Item):
    """One numbered step of the procedure; becomes one graph node."""

    id: str = Field(description="Slug of the title, unique within the skill.")
    number: int
    title: str
    mode: Mode | None = None
    steps: str = Field(description="The step list as markdown (tables, code kept).")
    body: str = Field(description="The whole micro-skill section as markdown.")
    invokes: list[str] = Field(default_factory=list)
    inputs: list[str] = Field(default_factory=list)
    outputs: list[str] = Field(default_factory=list)
    line: int


class Guardrail(_Item):
    """One rule the run must respect, one line of the Guardrails section."""

    id: str
    text: str
    line: int


class Trigger(_Item):
    """A situation in which the skill must ask a human instead of guessing."""

    id: str
    text: str
    line: int


class QuestionTemplate(_Item):
    """A question to ask; ``{placeholders}`` are filled from the run's findings."""

    id: str
    text: str
    placeholders: list[str] = Field(default_factory=list)
    trigger_id: str | None = Field(
        default=None, description="Set when the file pairs it with a trigger (flat form)."
    )
    line: int


class Ambiguity(_Item):
    """The Ask-When-Ambiguous section."""

    triggers: list[Trigger] = Field(default_factory=list)
    questions: list[QuestionTemplate] = Field(default_factory=list)


class DecisionRule(_Item):
    """A situation → action row of the Decision Criteria."""

    id: str
    situation: str
    action: str
    invokes: list[str] = Field(default_factory=list)
    line: int


class Criterion(_Item):
    """A Success Criteria line; evals score each one."""

    id: str
    text: str
    line: int


class FailureMode(_Item):
    """A known way the procedure goes wrong, how it shows, and what to do."""

    id: str
    failure: str
    symptom: str = ""
    mitigation: str = ""
    line: int


class IOField(_Item):
    """A row of the Inputs or Outputs table."""

    name: str
    type: str = "string"
    required: bool = True
    description: str = ""
    line: int


class ScopeItem(_Item):
    """One in- or out-of-scope bullet, with the skills it delegates to."""

    text: str
    delegates: list[str] = Field(default_factory=list)
    line: int


class Scope(_Item):
    """What the skill does and what it hands to other skills."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    in_scope: list[ScopeItem] = Field(default_factory=list, alias="in")
    out_of_scope: list[ScopeItem] = Field(default_factory=list, alias="out")
    delegates: list[str] = Field(default_factory=list)


class AuditEntry(_Item):
    """A line of the skill's own change history (its Audit Log section)."""

    timestamp: str | None = None
    text: str
    line: int


class Section(_Item):
    """Any level-2 section, kept verbatim as named context."""

    title: str
    body: str
    line: int


class Skill(_Item):
    """A parsed SKILL.md: frontmatter fields, procedure and rules, with line numbers."""

    name: str
    description: str = ""
    version: str | None = None
    dependencies: list[str] = Field(default_factory=list)
    reasoning_mode: str | None = None
    skill_type: str | None = None
    license: str | None = None
    compatibility: str | None = None
    allowed_tools: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    domain: str | None = None
    status: str | None = None
    frontmatter: dict[str, Any] = Field(
        default_factory=dict, description="Every frontmatter key as written, unknown ones too."
    )

    title: str | None = Field(default=None, description="The level-1 heading, if any.")
    context: str = ""
    kernel: str = ""
    micro_skills: list[MicroSkill] = Field(default_factory=list)
    inputs: list[IOField] = Field(default_factory=list)
    outputs: list[IOField] = Field(default_factory=list)
    scope: Scope = Field(default_factory=Scope)
    guardrails: list[Guardrail] = Field(default_factory=list)
    ambiguity: Ambiguity = Field(default_factory=Ambiguity)
    decision_criteria: list[DecisionRule] = Field(default_factory=list)
    success_criteria: list[Criterion] = Field(default_factory=list)
    failure_modes: list[FailureMode] = Field(default_factory=list)
    audit_log: list[AuditEntry] = Field(default_factory=list)
    edge_cases: list[str] = Field(default_factory=list)
    examples: str = ""
    sections: dict[str, Section] = Field(
        default_factory=dict, description="Every level-2 section by normalized title."
    )

    diagnostics: list[Diagnostic] = Field(default_factory=list)
    path: str | None = None
    content_hash: str = Field(description="sha256 of the source text, for audit events.")

    @property
    def has_micro_skills(self) -> bool:
        """False for plain Agent Skills files and foundation skills: run as one step."""
        return bool(self.micro_skills)

    @property
    def references(self) -> list[str]:
        """Skills this one delegates to or invokes (not its dependencies), in order."""
        seen: dict[str, None] = {}
        for ms in self.micro_skills:
            seen.update(dict.fromkeys(ms.invokes))
        for rule in self.decision_criteria:
            seen.update(dict.fromkeys(rule.invokes))
        seen.update(dict.fromkeys(self.scope.delegates))
        return list(seen)
