"""Clarification is bounded per step and per run; past a bound the run assumes or blocks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent.engine import api
from agent.graph._context import GraphSettings
from agent.llm.scripted import ScriptedModel
from agent.skill.library import Library, SkillSet
from agent.skill.policy import ClarifySettings, Policy
from graph.scripts.incident import find

SKILLS = Path(__file__).parent / "skills"


@pytest.fixture(scope="module")
def skill() -> SkillSet:
    """A one-step skill whose one trigger fills a template (a question per release name)."""
    return Library([SKILLS]).resolve("collect-facts")


def _unsure(skill: SkillSet, *releases: str) -> dict[str, Any]:
    """A result that still asks which release, once per candidate."""
    trigger = find(skill.skill.ambiguity.triggers, "release to check")
    template = find(skill.skill.ambiguity.questions, "Which release")
    asks = [
        {"trigger": trigger, "template": template, "values": {"candidates": r}} for r in releases
    ]
    return {"output": {"summary": "unsure", "fields": {"facts": "a fix"}, "ambiguities": asks}}


def _done() -> dict[str, Any]:
    return {"output": {"summary": "done", "fields": {"facts": "a fix"}}}


def _assumed(values: dict[str, Any]) -> list[str]:
    return [
        e["data"]["assumed"]
        for e in values["audit_log"]
        if e["kind"] == "decision" and "assumed" in e["data"]
    ]


async def test_past_the_per_run_bound_the_step_goes_on_with_its_assumption_recorded(
    skill: SkillSet, db: str
) -> None:
    four = ("r1", "r2", "r3", "r4")
    model = ScriptedModel({"step:apply": [_unsure(skill, *four), _unsure(skill, *four)]})
    policy = Policy(clarify=ClarifySettings(per_run=3))
    paused = await api.start(skill, {}, model=model, db=db, policy=policy)
    assert paused.status == "paused", paused.failure
    assert [q["text"] for q in paused.questions] == [
        f"Which release should I check: `{r}`?" for r in ("r1", "r2", "r3")
    ]
    answers = {q["id"]: "go on" for q in paused.questions}
    done = await api.resume(paused.thread_id, answers, model=model, db=db)
    assert done.status == "completed", (done.violations, done.failure)
    values, _ = await api.read_state(paused.thread_id, db=db)
    assert len(values["questions"]) == 3
    assumed = _assumed(values)
    assert "3 questions per run" in assumed[-1]
    assert "`r4`" in assumed[-1]
    assert any(n["kind"] == "assumption" for n in values["scratchpad"])


async def test_the_per_run_bound_comes_from_the_settings_without_a_policy_bound(
    skill: SkillSet, db: str
) -> None:
    model = ScriptedModel({"step:apply": [_unsure(skill, "r1", "r2")]})
    settings = GraphSettings(max_clarify_questions=0)
    done = await api.start(skill, {}, model=model, db=db, settings=settings)
    assert done.status == "completed", (done.violations, done.failure)
    values, _ = await api.read_state(done.thread_id, db=db)
    assert values.get("questions", []) == []
    assert "0 questions per run" in _assumed(values)[0]


async def test_a_policy_may_block_the_run_past_the_bound_and_the_violation_says_so(
    skill: SkillSet, db: str
) -> None:
    model = ScriptedModel({"step:apply": [_unsure(skill, "r1")]})
    policy = Policy(clarify=ClarifySettings(per_run=0, past_bound="block"))
    done = await api.start(skill, {}, model=model, db=db, policy=policy)
    assert done.status == "blocked"
    assert done.violations == [
        "step apply needs answers the run may no longer ask for: not asked (clarification "
        "bound of 0 questions per run reached): Which release should I check: `r1`?"
    ]


async def test_blocking_asks_what_still_fits_before_it_blocks(skill: SkillSet, db: str) -> None:
    model = ScriptedModel({"step:apply": [_unsure(skill, "r1", "r2"), _done()]})
    policy = Policy(clarify=ClarifySettings(per_run=1, past_bound="block"))
    paused = await api.start(skill, {}, model=model, db=db, policy=policy)
    assert [q["text"] for q in paused.questions] == ["Which release should I check: `r1`?"]
    answers = {paused.questions[0]["id"]: "r1"}
    done = await api.resume(paused.thread_id, answers, model=model, db=db)
    assert done.status == "completed", (done.violations, done.failure)


async def test_past_the_per_step_rounds_the_step_goes_on_with_its_assumption(
    skill: SkillSet, db: str
) -> None:
    model = ScriptedModel({"step:apply": [_unsure(skill, "r1"), _unsure(skill, "r2")]})
    settings = GraphSettings(max_clarify_rounds=1)
    paused = await api.start(skill, {}, model=model, db=db, settings=settings)
    assert [q["text"] for q in paused.questions] == ["Which release should I check: `r1`?"]
    answers = {paused.questions[0]["id"]: "r1"}
    done = await api.resume(paused.thread_id, answers, model=model, db=db)
    assert done.status == "completed", (done.violations, done.failure)
    values, _ = await api.read_state(paused.thread_id, db=db)
    assert "1 rounds for step apply" in _assumed(values)[0]
