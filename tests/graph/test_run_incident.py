"""incident-response end to end through the run API, with a scripted model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_core.tools import tool

from agent.audit import verify_chain
from agent.engine import api
from agent.errors import RunNotPausedError, UnknownQuestionError
from agent.graph.compile import judge_schedule
from agent.llm.scripted import ScriptedModel
from agent.skill.library import SkillSet
from agent.skill.policy import JudgeSettings, Policy, load_policy
from graph.scripts import incident
from graph.scripts.incident import find, reply

Script = dict[str, list[dict[str, Any]]]


def _kinds(values: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["data"] for e in values["audit_log"] if e["kind"] == kind]


def _ambiguity(seed: SkillSet, trigger: str, template: str, **values: str) -> dict[str, Any]:
    skill = seed.skill
    return {
        "trigger": find(skill.ambiguity.triggers, trigger),
        "template": find(skill.ambiguity.questions, template),
        "values": values,
    }


def _judged_again(happy: Script, verdicts: list[dict[str, Any]]) -> None:
    """The run judge's first reply is ``verdicts``; mitigate and postmortem run twice."""
    happy["judge:postmortem"].insert(0, reply({"verdicts": verdicts}))
    happy["step:mitigate"] *= 2
    happy["step:postmortem"] *= 2


async def _completed(
    seed: SkillSet, happy: Script, db: str, verdicts: list[dict[str, Any]]
) -> dict[str, Any]:
    """The final state of a run whose judge first answers ``verdicts``, then allows."""
    _judged_again(happy, verdicts)
    model = ScriptedModel(happy)
    result = await api.start(seed, {"alert": "5xx"}, model=model, db=db)
    assert result.status == "completed", result.violations
    model.assert_complete()
    values, _ = await api.read_state(result.thread_id, db=db)
    return values


async def test_happy_path_completes_with_the_four_outputs(
    seed: SkillSet, happy: Script, db: str
) -> None:
    model = ScriptedModel(happy)
    result = await api.start(seed, {"alert": "checkout 5xx"}, model=model, db=db)
    assert result.status == "completed", result.violations
    assert set(result.outputs) == {"severity", "timeline", "mitigation", "postmortem"}
    assert result.outputs["severity"] == "SEV2"
    model.assert_complete()


async def test_llm_calls_stay_within_steps_plus_three_with_the_shipped_policy(
    seed: SkillSet, happy: Script, db: str
) -> None:
    result = await api.start(seed, {"alert": "5xx"}, model=ScriptedModel(happy), db=db)
    assert result.status == "completed", result.violations
    assert result.usage["total"]["calls"] <= len(seed.skill.micro_skills) + 3
    assert [p for p in result.usage["by_node"] if p.startswith("judge:")] == ["judge:postmortem"]


async def test_the_shipped_policy_judges_every_step_in_one_call_after_the_last(
    seed: SkillSet, happy: Script, db: str
) -> None:
    model = ScriptedModel(happy)
    result = await api.start(seed, {"alert": "5xx"}, model=model, db=db)
    values, _ = await api.read_state(result.thread_id, db=db)
    judged = {v["guardrail_id"]: v["step"] for v in values["verdicts"] if v["tier"] == "judge"}
    # each verdict belongs to the step its guardrail names (a revision would go there)
    assert judged["prefer-the-fastest-safe-mitigation-over"] == "mitigate"
    assert judged["do-not-assign-blame-in-postmortems"] == "postmortem"
    assert len(judged) == 3


async def test_a_last_step_judge_revision_reruns_the_step_it_names_and_the_steps_after(
    seed: SkillSet, happy: Script, db: str
) -> None:
    fastest = "prefer-the-fastest-safe-mitigation-over"
    verdicts = [{"guardrail": fastest, "outcome": "revise", "message": "too slow"}]
    values = await _completed(seed, happy, db, verdicts)
    ran = [s["id"] for s in values["steps_log"]]
    assert ran[2:] == ["mitigate", "postmortem", "mitigate", "postmortem"]
    assert values["feedback"]["mitigate"] == ["too slow"]


async def test_llm_calls_stay_within_steps_plus_three_when_rules_cover_the_guardrails(
    seed: SkillSet, db: str
) -> None:
    shipped = load_policy(Path(str(seed.skill.path)))
    assert shipped is not None
    covered = shipped.model_copy(update={"judge": JudgeSettings(guardrails=[])})
    script = incident.happy(seed.skill, judge_schedule(seed.skill, covered))
    result = await api.start(
        seed, {"alert": "5xx"}, model=ScriptedModel(script), db=db, policy=covered
    )
    assert result.status == "completed"
    assert result.usage["total"]["calls"] <= len(seed.skill.micro_skills) + 3


async def test_the_judge_sees_only_guardrails_without_a_rule(
    seed: SkillSet, happy: Script, db: str
) -> None:
    shipped = load_policy(Path(str(seed.skill.path)))
    assert shipped is not None
    ruled = shipped.ruled_guardrails()
    judged = {g for ids in judge_schedule(seed.skill).values() for g in ids}
    assert judged
    assert not judged & ruled
    blameless = find(seed.skill.guardrails, "Do not assign blame")
    assert blameless in judge_schedule(seed.skill)["postmortem"]


async def test_two_questions_pending_at_once_resume_by_id(
    seed: SkillSet, happy: Script, db: str
) -> None:
    ambiguous = {
        **incident.step("SEV2 or SEV3?", severity="SEV2", incident_commander="dana"),
        "ambiguities": [
            _ambiguity(
                seed, "two adjacent levels", "Classify as SEV2 or SEV3", N="1200", region="eu-west"
            ),
            _ambiguity(
                seed, "multiple services", "Multiple services", service_list="checkout, cart"
            ),
        ],
    }
    happy["step:severity-classification"].insert(0, reply(ambiguous))
    model = ScriptedModel(happy)
    paused = await api.start(seed, {"alert": "checkout 5xx"}, model=model, db=db)
    assert paused.status == "paused"
    assert len(paused.questions) == 2
    sev = next(q for q in paused.questions if q["options"])
    assert sev["options"] == ["SEV2", "SEV3"]
    assert "`1200` users" in sev["text"]
    assert sev["kind"] == "clarify"
    answers = {
        q["id"]: {"text": "SEV2" if q is sev else "checkout", "by": "dana"}
        for q in paused.questions
    }
    done = await api.resume(paused.thread_id, answers, model=model, db=db)
    assert done.status == "completed", done.violations
    values, _ = await api.read_state(paused.thread_id, db=db)
    assert {a["question_id"] for a in _kinds(values, "answer")} == set(answers)
    assert values["answers"][sev["id"]]["by"] == "dana"


async def test_the_same_question_is_never_asked_twice(
    seed: SkillSet, happy: Script, db: str
) -> None:
    ask = _ambiguity(seed, "two adjacent levels", "Classify as SEV2 or SEV3", N="5", region="eu")
    first = {
        **incident.step("unsure", severity="SEV2", incident_commander="dana"),
        "ambiguities": [ask],
    }
    happy["step:severity-classification"] = [
        reply(first),
        reply(first),
    ]  # still unsure after the answer
    model = ScriptedModel(happy)
    paused = await api.start(seed, {"alert": "5xx"}, model=model, db=db)
    done = await api.resume(
        paused.thread_id, {paused.questions[0]["id"]: "SEV2"}, model=model, db=db
    )
    assert done.status == "completed"
    values, _ = await api.read_state(paused.thread_id, db=db)
    assert len(_kinds(values, "question")) == 1


async def test_the_step_that_asked_sees_the_answer(seed: SkillSet, happy: Script, db: str) -> None:
    ask = _ambiguity(seed, "two adjacent levels", "Classify as SEV2 or SEV3", N="5", region="eu")
    happy["step:severity-classification"].insert(
        0, reply({**incident.step("unsure"), "ambiguities": [ask]})
    )
    happy["step:severity-classification"][1]["expect"] = "SEV3 please"
    model = ScriptedModel(happy)
    paused = await api.start(seed, {"alert": "5xx"}, model=model, db=db)
    done = await api.resume(
        paused.thread_id, {paused.questions[0]["id"]: "SEV3 please"}, model=model, db=db
    )
    assert done.status == "completed", done.violations


async def test_mitigation_never_starts_without_an_incident_commander_even_if_the_judge_allows(
    seed: SkillSet, happy: Script, db: str
) -> None:
    shipped = load_policy(Path(str(seed.skill.path)))
    assert shipped is not None
    each_step = shipped.model_copy(update={"judge": JudgeSettings(at="each-step")})
    judged_here = judge_schedule(seed.skill, each_step)["severity-classification"]
    assert judged_here  # the judge is consulted on this step, and allows everything
    allow = reply(incident.allow_all(seed.skill, judged_here))
    no_ic = reply(incident.step("SEV2", severity="SEV2"))
    happy["step:severity-classification"] = [no_ic, no_ic]  # sent back once, still no IC
    happy["judge:severity-classification"] = [allow, allow]
    model = ScriptedModel(happy)
    result = await api.start(seed, {"alert": "5xx"}, model=model, db=db, policy=each_step)
    assert result.status == "paused"  # the shipped policy asks a human for the IC
    (question,) = result.questions
    assert "Who is the Incident Commander?" in question["text"]
    values, _ = await api.read_state(result.thread_id, db=db)
    judged = [v for v in values["verdicts"] if v["tier"] == "judge"]
    assert len(judged) == len(judged_here)  # the revision waits for the human before the judge
    assert all(v["outcome"] == "allow" for v in judged)
    started = [e["data"]["step"] for e in values["audit_log"] if e["kind"] == "step_start"]
    assert "mitigate" not in started


async def test_forward_fix_during_sev1_pauses_for_approval_then_completes(
    seed: SkillSet, happy: Script, db: str
) -> None:
    happy["step:severity-classification"] = [
        reply(incident.step("SEV1 outage", severity="SEV1", incident_commander="dana"))
    ]
    mitigate = happy["step:mitigate"][0]["output"]
    mitigate["actions"] = [
        {"type": "forward-fix", "description": "patch the config parser", "target": "checkout"}
    ]
    model = ScriptedModel(happy)
    paused = await api.start(seed, {"alert": "full outage"}, model=model, db=db)
    assert paused.status == "paused"
    [question] = paused.questions
    assert question["kind"] == "approval"
    assert question["step"] == "mitigate"
    done = await api.resume(
        paused.thread_id,
        {question["id"]: {"text": "approve", "by": "dana (IC)"}},
        model=model,
        db=db,
    )
    assert done.status == "completed", done.violations
    values, _ = await api.read_state(paused.thread_id, db=db)
    assert values["approvals"][question["id"]]["approved"] is True


async def test_a_rejected_forward_fix_is_never_applied(
    seed: SkillSet, happy: Script, db: str
) -> None:
    happy["step:severity-classification"] = [
        reply(incident.step("SEV1 outage", severity="SEV1", incident_commander="dana"))
    ]
    fix = {"type": "forward-fix", "description": "patch", "target": "checkout"}
    happy["step:mitigate"][0]["output"]["actions"] = [fix]
    happy["step:mitigate"].append(reply({**happy["step:mitigate"][0]["output"], "actions": [fix]}))
    model = ScriptedModel(happy)
    paused = await api.start(seed, {"alert": "full outage"}, model=model, db=db)
    result = await api.resume(
        paused.thread_id, {paused.questions[0]["id"]: "reject"}, model=model, db=db
    )
    assert result.status == "blocked"
    assert result.outputs == {}


async def test_auditor_blocks_a_run_missing_the_postmortem(seed: SkillSet, db: str) -> None:
    no_rules = Policy()  # nothing catches it earlier: the auditor's own output check must
    script = incident.happy(seed.skill, judge_schedule(seed.skill, no_rules))
    empty = reply(incident.step("no postmortem yet"))
    script["step:postmortem"] = [empty, empty]  # the one audit revision does not help either
    script["judge:postmortem"] *= 2
    script.pop("audit")  # the model self-check is never reached
    model = ScriptedModel(script)
    result = await api.start(seed, {"alert": "5xx"}, model=model, db=db, policy=no_rules)
    assert result.status == "blocked"
    assert result.violations == ["output `postmortem` is missing"]
    values, _ = await api.read_state(result.thread_id, db=db)
    audits = _kinds(values, "audit_result")
    assert [a["passed"] for a in audits] == [False, False]
    model.assert_complete()


async def test_a_postmortem_without_an_action_item_is_sent_back_by_the_rule(
    seed: SkillSet, happy: Script, db: str
) -> None:
    no_items = incident.POSTMORTEM.replace("- [ ] Add a canary stage for config changes", "")
    happy["step:postmortem"].insert(0, reply(incident.step("draft", postmortem=no_items)))
    happy["judge:postmortem"] *= 2
    model = ScriptedModel(happy)
    result = await api.start(seed, {"alert": "5xx"}, model=model, db=db)
    assert result.status == "completed", result.violations
    values, _ = await api.read_state(result.thread_id, db=db)
    revised = [v for v in values["verdicts"] if v["outcome"] == "revise"]
    assert [v["rule_id"] for v in revised] == ["postmortem-has-preventive-action"]
    model.assert_complete()


async def test_schema_violating_model_output_fails_cleanly(
    seed: SkillSet, happy: Script, db: str
) -> None:
    happy["plan"] = [reply({"steps": [{"id": "reboot-everything", "goal": "x"}]})]
    result = await api.start(seed, {"alert": "5xx"}, model=ScriptedModel(happy), db=db)
    assert result.status == "failed"
    assert result.error is not None
    assert "Plan" in result.error


async def test_a_run_failed_by_the_server_continues_where_it_stopped(
    seed: SkillSet, happy: Script, db: str
) -> None:
    happy["step:triage"].insert(
        0, {"error": {"kind": "retry_exhausted", "status": 503, "message": "server down"}}
    )
    model = ScriptedModel(happy)
    failed = await api.start(seed, {"alert": "5xx"}, model=model, db=db)
    assert failed.status == "failed"
    assert failed.error is not None
    assert "server down" in failed.error
    done = await api.resume(failed.thread_id, model=model, db=db)
    assert done.status == "completed", done.violations
    model.assert_complete()  # plan and severity were not asked again


async def test_a_reply_that_never_fits_the_schema_blocks_the_run_with_the_reason(
    seed: SkillSet, happy: Script, db: str
) -> None:
    happy["step:triage"].insert(
        0, {"error": {"kind": "output", "message": "still not JSON after repair"}}
    )
    result = await api.start(seed, {"alert": "5xx"}, model=ScriptedModel(happy), db=db)
    assert result.status == "blocked"  # the model's fault, not the infrastructure's
    assert any("triage" in v and "still not JSON" in v for v in result.violations)


async def test_a_runaway_loop_fails_with_the_reason(seed: SkillSet, happy: Script, db: str) -> None:
    result = await api.start(
        seed, {"alert": "5xx"}, model=ScriptedModel(happy), db=db, recursion_limit=4
    )
    assert result.status == "failed"
    assert result.error is not None
    assert "recursion_limit" in result.error


async def test_resuming_a_finished_run_is_a_clear_error(
    seed: SkillSet, happy: Script, db: str
) -> None:
    model = ScriptedModel(happy)
    done = await api.start(seed, {"alert": "5xx"}, model=model, db=db)
    with pytest.raises(RunNotPausedError, match="has ended"):
        await api.resume(done.thread_id, {"x": "y"}, model=model, db=db)


async def test_resuming_with_an_unknown_question_id_is_a_clear_error(
    seed: SkillSet, happy: Script, db: str
) -> None:
    ask = _ambiguity(seed, "two adjacent levels", "Classify as SEV2 or SEV3", N="5", region="eu")
    happy["step:severity-classification"].insert(
        0, reply({**incident.step("unsure"), "ambiguities": [ask]})
    )
    model = ScriptedModel(happy)
    paused = await api.start(seed, {"alert": "5xx"}, model=model, db=db)
    with pytest.raises(UnknownQuestionError, match="no-such-question"):
        await api.resume(paused.thread_id, {"no-such-question": "x"}, model=model, db=db)
    status = await api.get_status(paused.thread_id, db=db)
    assert status.status == "paused"  # nothing was applied


async def test_audit_chain_verifies_and_detects_an_edited_event(
    seed: SkillSet, happy: Script, db: str
) -> None:
    done = await api.start(seed, {"alert": "5xx"}, model=ScriptedModel(happy), db=db)
    values, _ = await api.read_state(done.thread_id, db=db)
    log = values["audit_log"]
    kinds = {e["kind"] for e in log}
    assert {"skill_loaded", "plan", "step_start", "step_end", "outputs", "audit_result"} <= kinds
    assert verify_chain(log) == []
    edited = [dict(e) for e in log]
    edited[2] = {**edited[2], "data": {**edited[2]["data"], "step": "postmortem"}}
    assert verify_chain(edited) != []


async def test_scratchpad_stays_out_of_outputs_and_default_transcript(
    seed: SkillSet, happy: Script, db: str
) -> None:
    done = await api.start(seed, {"alert": "5xx"}, model=ScriptedModel(happy), db=db)
    assert "dana is on call" not in str(done.outputs)
    default = await api.export_transcript(done.thread_id, db=db)
    assert "dana is on call" not in default.model_dump_json()
    full = await api.export_transcript(done.thread_id, db=db, include_scratchpad=True)
    assert "dana is on call" in full.model_dump_json()


async def test_transcript_records_plan_steps_questions_and_usage(
    seed: SkillSet, happy: Script, db: str
) -> None:
    done = await api.start(seed, {"alert": "5xx"}, model=ScriptedModel(happy), db=db)
    doc = (await api.export_transcript(done.thread_id, db=db)).model_dump()
    assert doc["schema_version"] == "1"
    assert [s["id"] for s in doc["plan"]] == list(incident.STEPS)
    assert [s["id"] for s in doc["steps"]] == list(incident.STEPS)
    assert doc["skill"]["content_hash"] == seed.skill.content_hash
    assert doc["usage"]["total"]["calls"] == done.usage["total"]["calls"]


async def test_steps_call_the_skills_tools_and_the_transcript_records_them(
    seed: SkillSet, happy: Script, db: str
) -> None:
    searched: list[str] = []

    @tool
    def search_logs(query: str) -> str:
        """Search recent error logs."""
        searched.append(query)
        return "10:02 config v42 deployed; 5xx from checkout"

    happy["step:triage"][0]["tool_calls"] = [
        {"name": "search_logs", "args": {"query": "level=error"}}
    ]
    model = ScriptedModel(happy)
    done = await api.start(seed, {"alert": "5xx"}, model=model, db=db, tools=[search_logs])
    assert done.status == "completed"
    assert searched == ["level=error"]
    doc = (await api.export_transcript(done.thread_id, db=db)).model_dump()
    triage = next(s for s in doc["steps"] if s["id"] == "triage")
    assert [(c["name"], c["args"]) for c in triage["tool_calls"]] == [
        ("search_logs", {"query": "level=error"})
    ]
    assert "config v42 deployed" in str(triage["tool_calls"][0]["result"])


async def test_answering_some_questions_keeps_the_others_pending(
    seed: SkillSet, happy: Script, db: str
) -> None:
    ambiguous = {
        **incident.step("unsure", severity="SEV2", incident_commander="dana"),
        "ambiguities": [
            _ambiguity(seed, "two adjacent levels", "Classify as SEV2 or SEV3", N="9", region="eu"),
            _ambiguity(seed, "multiple services", "Multiple services", service_list="a, b"),
        ],
    }
    happy["step:severity-classification"].insert(0, reply(ambiguous))
    model = ScriptedModel(happy)
    paused = await api.start(seed, {"alert": "5xx"}, model=model, db=db)
    first, second = paused.questions
    still = await api.resume(paused.thread_id, {first["id"]: "SEV2"}, model=model, db=db)
    assert still.status == "paused"
    assert still.questions == [second]
    done = await api.resume(paused.thread_id, {second["id"]: "a"}, model=model, db=db)
    assert done.status == "completed", done.violations
    model.assert_complete()


async def test_a_run_judge_revises_the_earliest_step_it_faults_with_that_steps_messages(
    seed: SkillSet, happy: Script, db: str
) -> None:
    verdicts = [
        {
            "guardrail": "do-not-assign-blame-in-postmortems",
            "outcome": "revise",
            "message": "blame",
        },
        {
            "guardrail": "prefer-the-fastest-safe-mitigation-over",
            "outcome": "revise",
            "message": "slow",
        },
    ]
    values = await _completed(seed, happy, db, verdicts)
    assert values["feedback"] == {"mitigate": ["slow"]}  # postmortem re-runs after it anyway


async def test_a_rejected_run_judge_approval_sends_back_the_step_it_is_about(
    seed: SkillSet, happy: Script, db: str
) -> None:
    fastest = "prefer-the-fastest-safe-mitigation-over"
    _judged_again(happy, [{"guardrail": fastest, "outcome": "approve", "message": "slow fix"}])
    model = ScriptedModel(happy)
    paused = await api.start(seed, {"alert": "5xx"}, model=model, db=db)
    [question] = paused.questions
    assert question["kind"] == "approval"
    done = await api.resume(paused.thread_id, {question["id"]: "reject"}, model=model, db=db)
    assert done.status == "completed", done.violations
    model.assert_complete()
    values, _ = await api.read_state(done.thread_id, db=db)
    assert values["feedback"] == {"mitigate": ["not approved: slow fix"]}
