"""What a step keeps from its tool calls: cited refs and recorded actions, never from failures."""

from __future__ import annotations

import json
from typing import Any

from agent.graph.nodes.step import _with_tool_findings
from agent.llm.base import ToolCallRecord

ACTION = {"type": "scale-up", "description": "scale search to 16: r", "target": "search"}


def _call(answer: Any, *, error: bool = False) -> ToolCallRecord:
    text = answer if isinstance(answer, str) else json.dumps(answer)
    return ToolCallRecord(id="c", name="t", args={}, result=text, error=error)


def _result(**over: Any) -> dict[str, Any]:
    return {"summary": "s", "evidence": [], "actions": [], **over}


def test_refs_a_tool_cited_join_the_steps_evidence_once() -> None:
    calls = [_call({"refs": ["logs.jsonl:3", "alerts.csv:2"]}), _call({"refs": ["logs.jsonl:3"]})]
    result = _with_tool_findings(_result(evidence=["alerts.csv:2"]), calls)
    assert result["evidence"] == ["alerts.csv:2", "logs.jsonl:3"]


def test_an_action_a_tool_recorded_joins_the_steps_actions() -> None:
    result = _with_tool_findings(_result(), [_call({"action": ACTION})])
    assert result["actions"] == [ACTION]


def test_an_action_the_reply_also_lists_is_kept_once() -> None:
    result = _with_tool_findings(_result(actions=[dict(ACTION)]), [_call({"action": ACTION})])
    assert result["actions"] == [ACTION]


def test_failed_or_non_json_tool_answers_add_nothing() -> None:
    calls = [_call({"action": ACTION, "refs": ["x:1"]}, error=True), _call("plain text")]
    assert _with_tool_findings(_result(), calls) == _result()
