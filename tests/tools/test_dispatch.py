"""The post-approval webhook: only approved actions leave the run, each exactly once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
import yaml

from agent.dispatch import approved_actions, dispatch_approved, dispatch_thread
from agent.graph.rules import approval_id
from agent.llm.scripted import ScriptedModel
from agent.plugins import ToolContext, load_tools
from agent.runtime import api
from agent.skill.library import SkillSet
from agent.skill.policy import ApprovalRule, Policy, load_policy
from tools import examples

HOOK = "https://automation.example.test/actions"
REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "incidents" / "checkout-deploy-spike"
ROLLBACK = {
    "id": "mitigate:0:rollback-deploy",
    "step": "mitigate",
    "type": "rollback-deploy",
    "description": "roll back checkout to v2.13.2: bad deploy",
    "target": "checkout",
}


@pytest.fixture(scope="module")
def policy() -> Policy:
    loaded = load_policy(REPO / "skills" / "incident-response")
    assert loaded is not None
    return loaded


def _qid(policy: Policy, action: dict[str, Any]) -> str:
    rule = next(
        r for r in policy.rules if isinstance(r, ApprovalRule) and r.action == action["type"]
    )
    return approval_id(rule, action)


def _values(policy: Policy, approved: bool | None, action: dict[str, Any] = ROLLBACK) -> Any:
    approvals = {}
    if approved is not None:
        answer = {"text": "x", "by": "dana", "at": "2026-11-20T10:12:00Z", "approved": approved}
        approvals[_qid(policy, action)] = answer
    return {"actions": [action], "approvals": approvals}


def test_an_approved_action_is_found(policy: Policy) -> None:
    assert [a for _, a in approved_actions(_values(policy, True), policy)] == [ROLLBACK]


@pytest.mark.parametrize("approved", [None, False])
def test_unanswered_or_rejected_actions_are_not(policy: Policy, approved: bool | None) -> None:
    assert approved_actions(_values(policy, approved), policy) == []


def test_an_edited_action_does_not_ride_on_an_old_approval(policy: Policy) -> None:
    values = _values(policy, True)
    values["actions"] = [{**ROLLBACK, "target": "payments"}]
    assert approved_actions(values, policy) == []


@respx.mock
async def test_each_approved_action_is_posted_once(policy: Policy, tmp_path: Path) -> None:
    route = respx.post(HOOK).mock(return_value=httpx.Response(200))
    values = _values(policy, True)
    first = await dispatch_approved(values, policy, url=HOOK, data_dir=tmp_path, thread_id="t")
    again = await dispatch_approved(values, policy, url=HOOK, data_dir=tmp_path, thread_id="t")
    assert [d.delivered for d in first] == [True]
    assert again == []
    body = json.loads(route.calls.last.request.content)
    assert body["action"]["type"] == "rollback-deploy"
    assert body["approved_by"] == "dana"


@respx.mock
async def test_a_failed_post_is_tried_again_next_time(policy: Policy, tmp_path: Path) -> None:
    route = respx.post(HOOK).mock(side_effect=[httpx.Response(502), httpx.Response(200)])
    values = _values(policy, True)
    failed = await dispatch_approved(values, policy, url=HOOK, data_dir=tmp_path, thread_id="t")
    retried = await dispatch_approved(values, policy, url=HOOK, data_dir=tmp_path, thread_id="t")
    assert [(d.delivered, d.error) for d in failed] == [(False, "HTTP 502: ")]
    assert [d.delivered for d in retried] == [True]
    assert route.call_count == 2


async def test_without_a_url_nothing_is_sent(policy: Policy, tmp_path: Path) -> None:
    values = _values(policy, True)
    assert await dispatch_approved(values, policy, url=None, data_dir=tmp_path, thread_id="t") == []


@respx.mock
async def test_the_webhook_is_called_only_after_the_human_approved(
    seed: SkillSet, policy: Policy, tmp_path: Path, db: str
) -> None:
    route = respx.post(HOOK).mock(return_value=httpx.Response(200))
    ctx = ToolContext(data_dir=tmp_path, thread_id="run", evidence_dir=EXAMPLE)
    tools = load_tools(seed.skill, ctx)
    model = ScriptedModel.from_file(EXAMPLE / "script.yaml")
    answers = yaml.safe_load((EXAMPLE / "answers.yaml").read_text(encoding="utf-8"))
    result = await api.start(seed, {"alert": "5xx"}, "run", model=model, db=db, tools=tools)
    sent = 0
    while True:
        values, _ = await api.read_state("run", db=db)
        sent += len(
            await dispatch_approved(values, policy, url=HOOK, data_dir=tmp_path, thread_id="run")
        )
        if result.status != "paused":
            break
        assert not any(q["kind"] == "approval" for q in result.questions) or sent == 0
        given = {
            q["id"]: answers.get(q["id"], answers.get(q["trigger"] or "")) for q in result.questions
        }
        result = await api.resume("run", given, model=model, skill=seed, db=db, tools=tools)
    assert result.status == "completed"
    assert sent == route.call_count == 1


@respx.mock
async def test_dispatch_thread_reads_the_stored_run(
    seed: SkillSet, tmp_path: Path, db: str
) -> None:
    route = respx.post(HOOK).mock(return_value=httpx.Response(200))
    ctx = ToolContext(
        data_dir=tmp_path, thread_id="run", evidence_dir=EXAMPLE, action_webhook_url=HOOK
    )
    await examples.run_with_answers(seed, EXAMPLE, ctx, db, "run")
    [sent] = await dispatch_thread(seed.skill, ctx, db=db)
    assert sent.action["type"] == "rollback-deploy"
    assert route.call_count == 1
