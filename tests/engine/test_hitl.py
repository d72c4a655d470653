"""Several questions wait at once, each its own interrupt; approvals take LangChain HITL decisions.

The script (``tests/langgraph/two-at-once.yaml``) asks two clarifying questions in one
step and proposes two guarded actions in another: a flag off and a rollback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent.engine import api
from agent.errors import UnknownQuestionError, UserError
from agent.skill.library import SkillSet

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tests" / "langgraph" / "two-at-once.yaml"
EVIDENCE = REPO / "examples" / "incidents" / "cart-multi-service"
CLARIFY = {"q1": "SEV2", "q2": "cart first: checkout calls cart"}


@pytest.fixture
def run(seed: SkillSet, tmp_path: Path, db: str, thread_id: str) -> Any:
    """Start the run, or answer it: ``await run(answers)``."""

    async def drive(answers: dict[str, Any] | None = None) -> api.RunResult:
        where: dict[str, Any] = {"db": db, "data_dir": tmp_path}
        if answers is None:
            return await api.start(
                seed, {}, thread_id, model=f"scripted:{SCRIPT}", evidence=EVIDENCE, **where
            )
        return await api.resume(thread_id, answers, **where)

    return drive


def _by_type(result: api.RunResult) -> dict[str, dict[str, Any]]:
    return {q["action"]["type"]: q for q in result.questions}


async def test_two_questions_wait_at_once_and_each_is_answered_on_its_own(run: Any) -> None:
    first = await run()
    assert first.status == "paused"
    assert [q["alias"] for q in first.questions] == ["q1", "q2"]
    after_one = await run({"q1": "SEV2"})
    assert [q["alias"] for q in after_one.questions] == ["q2"]
    with pytest.raises(UnknownQuestionError):
        await run({"q1": "SEV3"})  # a second answer to an answered question loses
    after_both = await run({"q2": CLARIFY["q2"]})
    assert {q["kind"] for q in after_both.questions} == {"approval"}
    assert set(_by_type(after_both)) == {"feature-flag-off", "rollback-deploy"}


async def test_hitl_decisions_approve_one_action_and_reject_another(
    run: Any, thread_id: str, tmp_path: Path, db: str
) -> None:
    await run()
    approvals = _by_type(await run(CLARIFY))
    done = await run(
        {
            approvals["feature-flag-off"]["id"]: {"decisions": [{"type": "approve"}], "by": "sam"},
            approvals["rollback-deploy"]["id"]: {
                "decisions": [{"type": "reject", "message": "it reverts the CVE fix"}],
                "by": "sam",
            },
        }
    )
    assert done.status == "completed"
    transcript = await api.export_transcript(thread_id, db=db, data_dir=tmp_path)
    decided = {a.question_id: a.model_dump() for a in transcript.answers}
    rejected = decided[approvals["rollback-deploy"]["id"]]
    assert (rejected["decision"], rejected["message"], rejected["by"]) == (
        "reject",
        "it reverts the CVE fix",
        "sam",
    )
    assert rejected["approved"] is False
    assert decided[approvals["feature-flag-off"]["id"]]["decision"] == "approve"
    kinds = [a["type"] for a in transcript.model_dump()["actions"]]
    assert "feature-flag-off" in kinds
    assert "rollback-deploy" not in kinds  # the step proposed the flag alone after the "no"


async def test_an_edited_action_counts_as_approved_once_the_policy_rechecked_it(
    run: Any, thread_id: str, tmp_path: Path, db: str
) -> None:
    await run()
    approvals = _by_type(await run(CLARIFY))
    edited = {
        "description": "turn cart_bundle_pricing off in eu-west",
        "target": "cart_bundle_pricing",
    }
    done = await run(
        {
            approvals["feature-flag-off"]["id"]: {
                "decisions": [
                    {"type": "edit", "edited_action": {"name": "feature-flag-off", "args": edited}}
                ]
            },
            approvals["rollback-deploy"]["id"]: {"decisions": [{"type": "approve"}]},
        }
    )
    assert done.status == "completed"
    values, _ = await api.read_state(thread_id, db=db, data_dir=tmp_path)
    flag = next(a for a in values["actions"] if a["type"] == "feature-flag-off")
    assert flag["description"] == edited["description"]
    edit_approval = [a for a in values["approvals"].values() if a.get("edit_of")]
    assert len(edit_approval) == 1
    assert edit_approval[0]["approved"] is True
    assert any(e["kind"] == "decision" and e["data"].get("edited") for e in values["audit_log"])


async def test_an_edit_into_an_action_another_rule_guards_is_asked_again(run: Any) -> None:
    await run()
    approvals = _by_type(await run(CLARIFY))
    rollback = {"description": "roll back cart to v5.0.8", "target": "cart"}
    again = await run(
        {
            approvals["feature-flag-off"]["id"]: {
                "decisions": [
                    {"type": "edit", "edited_action": {"name": "rollback-deploy", "args": rollback}}
                ]
            },
            approvals["rollback-deploy"]["id"]: "approve",
        }
    )
    assert again.status == "paused"
    [question] = again.questions
    assert question["rule"] == "rollback-deploy-needs-ic-approval"
    assert question["action"]["description"] == rollback["description"]


@pytest.mark.parametrize(
    "decisions",
    [
        [{"type": "maybe"}],
        [{"type": "approve"}, {"type": "reject"}],
        [{"type": "edit", "edited_action": {"name": "scale-up"}}],
    ],
)
async def test_a_malformed_decision_is_refused_before_the_run_moves(
    run: Any, decisions: list[dict[str, Any]]
) -> None:
    await run()
    approvals = _by_type(await run(CLARIFY))
    with pytest.raises(UserError, match="decisions"):
        await run({approvals["rollback-deploy"]["id"]: {"decisions": decisions}})


async def test_a_clarifying_question_takes_no_decisions(run: Any) -> None:
    await run()
    with pytest.raises(UserError, match="not an approval"):
        await run({"q1": {"decisions": [{"type": "approve"}]}})
