"""Scripted-model replies for the incident-response seed, built from its parsed ids.

Ids (guardrails, triggers, templates, criteria) are looked up by a fragment of
their text, so the scripts follow the parser's slugs instead of copying them.
Each function returns a fresh dict that tests may edit before use.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from agent.skill.model import Skill

STEPS = ("severity-classification", "triage", "mitigate", "postmortem")
EVIDENCE = ["logs://checkout/2026-11-26T10:02Z?level=error", "trace://checkout/7f3a"]
POSTMORTEM = """## Incident Postmortem — Checkout 5xx
**Severity:** SEV2
### Timeline
- 10:02 — Incident detected
- 10:04 — IC assigned
### Root Cause
The system allowed a config change without a canary.
Evidence: logs://checkout/2026-11-26T10:02Z?level=error, trace://checkout/7f3a
### Action Items
- [ ] Add a canary stage for config changes
### Lessons Learned
- Rollback was fast
"""


class _HasText(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def text(self) -> str: ...


def find(items: Iterable[_HasText], fragment: str) -> str:
    """The id of the one item whose text contains ``fragment`` (case-insensitive)."""
    hits = [i.id for i in items if fragment.lower() in i.text.lower()]
    assert len(hits) == 1, f"{fragment!r} matches {hits}"
    return hits[0]


def reply(output: Any) -> dict[str, Any]:
    return {"output": output}


def step(summary: str, **fields: Any) -> dict[str, Any]:
    """A plain step result with ``fields``."""
    return {"summary": summary, "fields": fields, "confidence": 0.9}


def allow_all(skill: Skill, ids: Iterable[str]) -> dict[str, Any]:
    """A judge reply that allows every guardrail in ``ids``."""
    return {"verdicts": [{"guardrail": g, "outcome": "allow", "message": "ok"} for g in ids]}


BLAME = "the summary blames a named engineer for the outage"
"""What :func:`judge_blocks` says: a prose guardrail only the judge can hold the run to."""


def judge_blocks(ids: Iterable[str]) -> dict[str, Any]:
    """A judge reply that blocks on the first guardrail in ``ids`` (and allows the rest)."""
    first, *rest = ids
    verdicts = [{"guardrail": first, "outcome": "block", "message": BLAME}]
    return {"verdicts": verdicts + [{"guardrail": g, "outcome": "allow"} for g in rest]}


def happy(skill: Skill, judged: dict[str, tuple[str, ...]]) -> dict[str, list[dict[str, Any]]]:
    """Every reply of a run that needs no human: SEV2, rollback, complete postmortem."""
    script: dict[str, list[dict[str, Any]]] = {
        "plan": [
            reply(
                {
                    "steps": [{"id": s, "goal": f"do {s}", "mode": "power"} for s in STEPS],
                    "reasoning": "severity first, IC before mitigation",
                }
            )
        ],
        "step:severity-classification": [
            reply(
                {
                    **step(
                        "SEV2: checkout degraded",
                        severity="SEV2",
                        incident_commander="dana",
                        channel="#incidents",
                    ),
                    "notes": "private: dana is on call",
                }
            )
        ],
        "step:triage": [
            reply(
                {
                    **step("config change broke checkout", failing_component="checkout"),
                    "evidence": EVIDENCE,
                }
            )
        ],
        "step:mitigate": [
            reply(
                {
                    **step(
                        "rolled back the config",
                        mitigation="Rolled back config v42",
                        timeline={
                            "10:02": "detected",
                            "10:04": "IC assigned",
                            "10:10": "rolled back",
                        },
                    ),
                    "actions": [
                        {
                            "type": "rollback",
                            "description": "roll back config v42",
                            "target": "checkout",
                        },
                        {"type": "status-update", "description": "post to #incidents"},
                    ],
                }
            )
        ],
        "step:postmortem": [reply(step("postmortem written", postmortem=POSTMORTEM))],
        "audit": [
            reply(
                {
                    "criteria": [
                        {"id": c.id, "met": True, "note": "ok"} for c in skill.success_criteria
                    ]
                }
            )
        ],
    }
    for sid, ids in judged.items():
        if ids:
            script[f"judge:{sid}"] = [reply(allow_all(skill, ids))]
    return script
