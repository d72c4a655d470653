"""Run mechanics on small test skills: no micro-skills, master skills, modes, memory."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from langgraph.store.memory import InMemoryStore

from agent.engine import api
from agent.errors import UserError
from agent.graph.compile import GraphSettings, RunContext, compile_skill
from agent.llm.scripted import ScriptedModel
from agent.skill.library import Library, SkillSet
from agent.skill.model import Guardrail, MicroSkill, Skill
from agent.skill.policy import JudgeSettings, Policy

SKILLS = Path(__file__).parent / "skills"


@pytest.fixture(scope="module")
def library() -> Library:
    return Library([SKILLS])


def _out(said: str, **fields: Any) -> dict[str, Any]:
    return {"output": {"summary": said, "fields": fields}}


def _plan(*steps: str) -> dict[str, Any]:
    return {"output": {"steps": [{"id": s, "goal": f"do {s}"} for s in steps]}}


async def test_a_skill_without_micro_skills_runs_as_one_apply_step(
    library: Library, db: str
) -> None:
    model = ScriptedModel({"step:apply": [_out("done", summary="Fixes a crash.")]})
    result = await api.start(library.resolve("write-summary"), {"facts": "x"}, model=model, db=db)
    assert result.status == "completed"
    assert result.outputs == {"summary": "Fixes a crash."}
    model.assert_complete()


async def test_a_master_skill_runs_its_invoked_skills_as_subgraphs(
    library: Library, db: str
) -> None:
    model = ScriptedModel(
        {
            "plan": [_plan("collect-facts", "write-summary")],
            "collect-facts/step:apply": [_out("listed", facts="one fix")],
            "write-summary/step:apply": [
                {**_out("written", summary="One fix."), "expect": "one fix"}
            ],
        }
    )
    result = await api.start(
        library.resolve("release-check"), {"release": "1.2"}, model=model, db=db
    )
    assert result.status == "completed", result.violations
    assert result.outputs == {"facts": "one fix", "summary": "One fix."}
    model.assert_complete()


async def test_an_interrupt_inside_a_subgraph_surfaces_and_resumes_there(
    library: Library, db: str
) -> None:
    unclear = {
        "output": {
            "summary": "?",
            "ambiguities": [
                {
                    "trigger": "the-release-to-check-is-not",
                    "template": "which-release-should-i-check-candidates",
                    "values": {"candidates": "1.2, 1.3"},
                }
            ],
        }
    }
    model = ScriptedModel(
        {
            "plan": [_plan("collect-facts", "write-summary")],
            "collect-facts/step:apply": [unclear, _out("listed", facts="one fix")],
            "write-summary/step:apply": [_out("written", summary="One fix.")],
        }
    )
    master = library.resolve("release-check")
    paused = await api.start(master, {}, model=model, db=db)
    assert paused.status == "paused"
    assert [q["text"] for q in paused.questions] == ["Which release should I check: `1.2, 1.3`?"]
    assert paused.questions[0]["step"] == "collect-facts/apply"
    status = await api.get_status(paused.thread_id, db=db)
    assert status.status == "paused"
    assert status.questions == paused.questions
    answer = {paused.questions[0]["id"]: "1.3"}
    done = await api.resume(paused.thread_id, answer, model=model, db=db)
    assert done.status == "completed", done.violations
    model.assert_complete()  # nothing before the interrupt ran twice


def test_mermaid_of_a_master_skill_shows_the_invoked_graphs(library: Library) -> None:
    graph = compile_skill(library.resolve("release-check"))
    mermaid = graph.get_graph(xray=1).draw_mermaid()
    assert "subgraph collect-facts" in mermaid
    assert "subgraph write-summary" in mermaid


async def test_lessons_are_kept_across_runs_only_when_memory_is_on(library: Library) -> None:
    store = InMemoryStore()
    skill = library.resolve("write-summary")
    for memory in (False, True):
        model = ScriptedModel({"step:apply": [_out("done", summary="S")]})
        graph = compile_skill(skill, settings=GraphSettings(memory=memory))
        await graph.copy(update={"store": store}).ainvoke(
            {"inputs": {}}, context=RunContext(model=model)
        )
        found = await store.asearch(("skillweave", "write-summary", "lessons"))
        assert len(found) == (1 if memory else 0)


async def test_resuming_with_a_changed_skill_file_is_refused(
    library: Library, db: str, tmp_path: Path
) -> None:
    unclear = {
        "output": {"summary": "?", "ambiguities": [{"trigger": "the-release-to-check-is-not"}]}
    }
    folder = tmp_path / "collect-facts"
    shutil.copytree(Path(str(library.resolve("collect-facts").skill.path)).parent, folder)
    model = ScriptedModel({"step:apply": [unclear]})
    paused = await api.start(folder / "SKILL.md", {}, model=model, db=db)
    skill_file = folder / "SKILL.md"
    skill_file.write_text(skill_file.read_text(encoding="utf-8") + "\nEdited.\n", "utf-8")
    with pytest.raises(UserError, match=r"SKILL.md changed since the run started"):
        await api.resume(paused.thread_id, {paused.questions[0]["id"]: "1.3"}, model=model, db=db)


def _beside_a_namesake(library: Library, folder: Path) -> Path:
    """collect-facts depending on the constitution, next to another skill of that name."""
    source = Path(str(library.resolve("collect-facts").skill.path)).read_text(encoding="utf-8")
    skill_file = folder / "collect-facts" / "SKILL.md"
    skill_file.parent.mkdir()
    skill_file.write_text(source.replace("---\n\n", "dependencies: [constitution]\n---\n\n", 1))
    sibling = folder / "constitution" / "SKILL.md"
    sibling.parent.mkdir()
    sibling.write_text("---\nname: constitution\ndescription: Another one.\n---\n# Other\n")
    return skill_file


async def test_a_skill_started_by_path_resumes_with_the_dependencies_it_started_with(
    library: Library, db: str, tmp_path: Path
) -> None:
    # A folder holding the skill and a sibling of the same name as its dependency: the
    # run started with the dependency from the skills path, and resumes with that one.
    skill_file = _beside_a_namesake(library, tmp_path)
    unclear = {
        "output": {"summary": "?", "ambiguities": [{"trigger": "the-release-to-check-is-not"}]}
    }
    model = ScriptedModel({"step:apply": [unclear, _out("done", facts="1.3 fixes")]})
    paused = await api.start(skill_file, {}, model=model, db=db)
    assert paused.status == "paused"
    done = await api.resume(
        paused.thread_id, {paused.questions[0]["id"]: "1.3"}, model=model, db=db
    )
    assert done.status == "completed"


async def test_a_declared_mode_wins_over_the_planners_choice(
    seed: SkillSet, happy: dict[str, list[dict[str, Any]]], db: str
) -> None:
    for step in happy["plan"][0]["output"]["steps"]:
        step["mode"] = "eco"
    result = await api.start(seed, {"alert": "5xx"}, model=ScriptedModel(happy), db=db)
    values, _ = await api.read_state(result.thread_id, db=db)
    assert {p["mode"] for p in values["plan"]} == {"power"}  # every seed step declares ⚡ Power
    modes = [n for n in values["scratchpad"] if n["kind"] == "mode"]
    assert len(modes) == 4
    assert all("declared power" in n["text"] for n in modes)


def _two_step_skill() -> SkillSet:
    steps = [
        MicroSkill(id=i, number=n, title=i.title(), steps="do it", body="do it", line=n)
        for n, i in enumerate(("gather", "decide"), start=1)
    ]
    rule = Guardrail(id="be-kind", text="Be kind in every message", line=9)
    return SkillSet(Skill(name="two-step", micro_skills=steps, guardrails=[rule], content_hash="h"))


async def test_eco_steps_skip_the_judge_when_the_policy_says_so(db: str) -> None:
    policy = Policy(judge=JudgeSettings(skip_judge_in_eco=True))
    plan = {
        "output": {
            "steps": [
                {"id": "gather", "goal": "g", "mode": "eco"},
                {"id": "decide", "goal": "d", "mode": "power"},
            ]
        }
    }
    allow = {"output": {"verdicts": [{"guardrail": "be-kind", "outcome": "allow"}]}}
    model = ScriptedModel(
        {
            "plan": [plan],
            "step:gather": [_out("g")],
            "step:decide": [_out("d")],
            "judge:decide": [allow],
        }
    )
    result = await api.start(_two_step_skill(), {}, model=model, db=db, policy=policy)
    assert result.status == "completed"
    model.assert_complete()  # no judge:gather call


async def test_progress_events_stream_in_custom_mode(db: str) -> None:
    plan = {"output": {"steps": [{"id": "gather", "goal": "g"}, {"id": "decide", "goal": "d"}]}}
    allow = {"output": {"verdicts": [{"guardrail": "be-kind", "outcome": "allow"}]}}
    model = ScriptedModel(
        {
            "plan": [plan],
            "step:gather": [_out("g")],
            "step:decide": [_out("d")],
            "judge:gather": [allow],
            "judge:decide": [allow],
        }
    )
    graph = compile_skill(_two_step_skill(), policy=Policy())
    events = [
        e
        async for e in graph.astream(
            {"inputs": {}}, stream_mode="custom", context=RunContext(model=model)
        )
    ]
    assert [(e["event"], e["step"]) for e in events] == [
        ("step_start", "gather"),
        ("step_start", "decide"),
    ]


_TWO_STEPS = """---
name: two-step
description: Test skill with one prose guardrail.
---

# Two Step

## Micro-Skills

### 1. Gather

**Steps:**

1. do it

### 2. Decide

**Steps:**

1. do it

## Guardrails

- Be kind in every message
"""


def _judge_asks_a_human(tmp_path: Path) -> tuple[Path, ScriptedModel]:
    """A skill on disk whose judge wants a human to approve its step ``gather``."""
    skill_file = tmp_path / "two-step" / "SKILL.md"
    skill_file.parent.mkdir()
    skill_file.write_text(_TWO_STEPS, encoding="utf-8")
    plan = {"output": {"steps": [{"id": "gather", "goal": "g"}, {"id": "decide", "goal": "d"}]}}
    guardrail = "be-kind-in-every-message"
    allow = {"output": {"verdicts": [{"guardrail": guardrail, "outcome": "allow"}]}}
    human = {"output": {"verdicts": [{"guardrail": guardrail, "outcome": "approve"}]}}
    script = {
        "plan": [plan],
        "step:gather": [_out("g"), _out("g, kinder")],
        "step:decide": [_out("d")],
        "judge:gather": [human, allow],
        "judge:decide": [allow],
    }
    return skill_file, ScriptedModel(script)


async def _answered(tmp_path: Path, db: str, text: str) -> dict[str, Any]:
    """Run the skill to the judge's approval question, answer ``text``; the final state."""
    skill_file, model = _judge_asks_a_human(tmp_path)
    paused = await api.start(skill_file, {}, model=model, db=db, policy=Policy())
    assert [q["kind"] for q in paused.questions] == ["approval"]
    answer = {paused.questions[0]["id"]: {"text": text, "by": "dana"}}
    done = await api.resume(paused.thread_id, answer, db=db, model=model)
    assert done.status == "completed"
    values, _ = await api.read_state(done.thread_id, db=db)
    return values


async def test_a_step_the_judge_leaves_to_a_human_goes_on_when_the_human_approves(
    db: str, tmp_path: Path
) -> None:
    values = await _answered(tmp_path, db, "approve")
    assert values["results"]["gather"]["result"]["summary"] == "g"  # accepted, not revised


async def test_a_step_the_human_rejects_is_revised(db: str, tmp_path: Path) -> None:
    values = await _answered(tmp_path, db, "reject")
    assert values["results"]["gather"]["result"]["summary"] == "g, kinder"


def _judged_at_the_end(
    tmp_path: Path, modes: dict[str, str]
) -> tuple[Path, dict[str, Any], Policy]:
    """The two-step skill on disk, its script, and a policy that judges once, after ``decide``."""
    skill_file = tmp_path / "two-step" / "SKILL.md"
    skill_file.parent.mkdir()
    skill_file.write_text(_TWO_STEPS, encoding="utf-8")
    guardrail = "be-kind-in-every-message"
    steps = [{"id": sid, "goal": sid, "mode": mode} for sid, mode in modes.items()]
    script = {
        "plan": [{"output": {"steps": steps}}],
        "step:gather": [_out("g")],
        "step:decide": [_out("d")],
        "judge:decide": [{"output": {"verdicts": [{"guardrail": guardrail, "outcome": "allow"}]}}],
    }
    return skill_file, script, Policy(judge=JudgeSettings(at="last-step", skip_judge_in_eco=True))


async def test_a_last_step_judge_makes_one_call_for_a_guardrail_every_step_shares(
    db: str, tmp_path: Path
) -> None:
    skill_file, script, policy = _judged_at_the_end(
        tmp_path, {"gather": "power", "decide": "power"}
    )
    model = ScriptedModel(script)
    done = await api.start(skill_file, {}, model=model, db=db, policy=policy)
    assert done.status == "completed", done.violations
    model.assert_complete()  # judge:decide once, no judge:gather
    values, _ = await api.read_state(done.thread_id, db=db)
    [verdict] = [v for v in values["verdicts"] if v["tier"] == "judge"]
    assert verdict["step"] == "decide"  # a guardrail of every step: the last one answers for it


async def test_a_last_step_judge_leaves_out_eco_steps_when_the_policy_says_so(
    db: str, tmp_path: Path
) -> None:
    skill_file, script, policy = _judged_at_the_end(tmp_path, {"gather": "eco", "decide": "eco"})
    script.pop("judge:decide")  # a call for it would find no reply and stop the run
    model = ScriptedModel(script)
    done = await api.start(skill_file, {}, model=model, db=db, policy=policy)
    assert done.status == "completed", done.violations
    model.assert_complete()
