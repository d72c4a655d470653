"""The post-approval webhook: only approved actions leave the run, through the outbox, once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
import yaml

from agent.engine import api
from agent.engine.outbox import flush, queue_approved
from agent.engine.store import open_store
from agent.graph.rules import approval_id, approved_actions
from agent.llm.scripted import ScriptedModel
from agent.plugins import ACTION_WEBHOOK_ENV
from agent.skill.library import SkillSet
from agent.skill.policy import ApprovalRule, Policy, load_policy

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


async def _send(db: str, policy: Policy, values: Any, url: str | None) -> list[dict[str, Any]]:
    async with open_store(db) as store:
        await queue_approved(store, "t", values, policy)
        return await flush(store, "t", url)


@respx.mock
async def test_each_approved_action_is_posted_once(policy: Policy, db: str) -> None:
    route = respx.post(HOOK).mock(return_value=httpx.Response(200))
    values = _values(policy, True)
    first = await _send(db, policy, values, HOOK)
    again = await _send(db, policy, values, HOOK)
    assert [d["status"] for d in first] == ["delivered"]
    assert again == []
    body = json.loads(route.calls.last.request.content)
    assert body["action"]["type"] == "rollback-deploy"
    assert body["approved_by"] == "dana"


@respx.mock
async def test_a_failed_post_is_tried_again_next_time(policy: Policy, db: str) -> None:
    route = respx.post(HOOK).mock(side_effect=[httpx.Response(502), httpx.Response(200)])
    values = _values(policy, True)
    failed = await _send(db, policy, values, HOOK)
    retried = await _send(db, policy, values, HOOK)
    assert [(d["status"], d["error"]) for d in failed] == [("failed", "HTTP 502: ")]
    assert [d["status"] for d in retried] == ["delivered"]
    assert route.call_count == 2


async def test_without_a_url_nothing_is_sent(policy: Policy, db: str) -> None:
    assert await _send(db, policy, _values(policy, True), None) == []


@respx.mock
async def test_a_library_run_sends_the_approved_action_once_whoever_drives_it(
    seed: SkillSet, tmp_path: Path, db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ACTION_WEBHOOK_ENV, HOOK)
    route = respx.post(HOOK).mock(return_value=httpx.Response(200))
    model = ScriptedModel.from_file(EXAMPLE / "script.yaml")
    answers = yaml.safe_load((EXAMPLE / "answers.yaml").read_text(encoding="utf-8"))
    result = await api.start(
        seed, {"alert": "5xx"}, "run", model=model, db=db, data_dir=tmp_path, evidence=EXAMPLE
    )
    while result.status == "paused":
        assert route.call_count == 0  # nothing leaves before the human said yes
        given = {
            q["id"]: answers.get(q["id"], answers.get(q["trigger"] or "")) for q in result.questions
        }
        result = await api.resume("run", given, model=model, db=db, data_dir=tmp_path)
    assert result.status == "completed"
    assert route.call_count == 1
    assert json.loads(route.calls.last.request.content)["action"]["type"] == "rollback-deploy"
