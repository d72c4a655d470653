"""Facts a human supplies when the model did not: ``requires`` rules with ``ask``.

A step owes the facts that the policy's ``requires`` rules say it produces. When
its reply was unusable, or it still lacks an owed fact once its revisions are
used up, a rule with ``ask`` turns the gap into a question for a human instead of
halting the run; the answer goes into the step's result as that fact, and the
audit log says who gave it. A weak model's run can then go on with a person
filling in what the model could not establish.
"""

from __future__ import annotations

from typing import Any

from agent.graph._context import SkillContext
from agent.graph.questions import make_question
from agent.graph.rules import present
from agent.graph.state import RunState
from agent.skill.policy import RequiresRule


def owed_questions(
    ctx: SkillContext, state: RunState, draft: dict[str, Any]
) -> list[dict[str, Any]]:
    """Questions for the facts ``draft``'s step owes and lacks, once it is a human's turn."""
    if ctx.policy is None:
        return []
    step = str(draft["step"])
    unusable = bool(draft.get("unusable"))
    spent = state.get("attempts", {}).get(step, 0) >= ctx.settings.max_step_revisions
    if not (unusable or spent):
        return []  # the model gets its revision first
    fields = dict((draft.get("result") or {}).get("fields", {}))
    questions = []
    for rule in ctx.policy.rules:
        if not isinstance(rule, RequiresRule) or rule.ask is None or rule.produced_by != step:
            continue
        if present(fields.get(rule.fact)):
            continue
        where = ctx.prefix + step
        q = make_question(
            source=f"{rule.id}:{where}", text=rule.ask.question, kind="clarify", step=where,
            trigger=None,
        )  # fmt: skip
        questions.append(
            {**q, "options": list(rule.ask.options) or q["options"], "fact": rule.fact}
        )
    return questions


def supplied(
    draft: dict[str, Any], questions: list[dict[str, Any]], answers: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``draft`` with the answered facts in its result, and what was supplied by whom.

    An unusable reply gets a result made of the answers alone (the judge has nothing
    of the model's to read in it).
    """
    given = {
        str(q["fact"]): answers[q["id"]].get("choice") or answers[q["id"]]["text"]
        for q in questions
    }
    by = sorted({str(answers[q["id"]].get("by") or "human") for q in questions})
    result = dict(
        draft.get("result")
        or {
            "summary": f"The model's reply was unusable; {', '.join(given)} supplied by "
            f"{', '.join(by)}.",
            "decisions": [],
            "ambiguities": [],
            "actions": [],
            "evidence": [],
            "confidence": 0.0,
        }
    )
    result["fields"] = {**dict(result.get("fields", {})), **given}
    kept = {k: v for k, v in draft.items() if k != "unusable"}
    if draft.get("unusable"):
        kept["from_human"] = True  # no model text to judge: the result is the human's answers
    return {**kept, "result": result}, {"step": draft["step"], "supplied": given, "by": by}
