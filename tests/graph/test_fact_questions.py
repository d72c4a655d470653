"""Facts a human supplies when the model did not (``requires`` rules with ``ask``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agent.engine import api
from agent.errors import ModelOutputError
from agent.llm.base import ModelRequest, ModelResponse
from agent.llm.scripted import ScriptedModel
from agent.skill.library import SkillSet
from agent.skill.policy import FactQuestion, Policy, RequiresRule, load_policy
from graph.scripts.incident import reply, step

Script = dict[str, list[dict[str, Any]]]
SEVERITY = FactQuestion(question="Which SEV level is this incident?", options=["SEV1", "SEV2"])


def _asking(seed: SkillSet) -> Policy:
    """The shipped policy, its severity rule asking with this test's question and choices."""
    shipped = load_policy(Path(str(seed.skill.path)))
    assert shipped is not None
    rules = [
        r.model_copy(update={"ask": SEVERITY}) if r.id == "severity-set-before-triage" else r
        for r in shipped.rules
    ]
    assert any(isinstance(r, RequiresRule) and r.ask for r in rules)
    return shipped.model_copy(update={"rules": rules})


def _twice_without_severity(script: Script) -> Script:
    """The severity step replies twice without a level (its revision too)."""
    no_level = reply(step("could not tell the level", incident_commander="dana"))
    script["step:severity-classification"] = [no_level, no_level]
    return script


async def test_a_fact_still_missing_after_the_revision_is_asked_of_a_human(
    seed: SkillSet, happy: Script, db: str
) -> None:
    model = ScriptedModel(_twice_without_severity(happy))
    paused = await api.start(seed, {"alert": "5xx"}, model=model, db=db, policy=_asking(seed))
    assert paused.status == "paused"
    (question,) = paused.questions
    assert (question["text"], question["options"]) == (SEVERITY.question, ["SEV1", "SEV2"])
    done = await api.resume(paused.thread_id, {question["alias"]: "sev2"}, model=model, db=db)
    assert done.status == "completed", done.violations
    values, _ = await api.read_state(done.thread_id, db=db)
    assert values["facts"]["severity"] == "SEV2"
    (supplied,) = [e["data"] for e in values["audit_log"] if "supplied" in e["data"]]
    assert supplied == {
        "step": "severity-classification",
        "supplied": {"severity": "SEV2"},
        "by": ["human"],
    }


async def test_without_ask_the_same_gap_still_blocks_the_run(
    seed: SkillSet, happy: Script, db: str
) -> None:
    model = ScriptedModel(_twice_without_severity(happy))
    shipped = _asking(seed)
    halting = shipped.model_copy(
        update={
            "rules": [
                r.model_copy(update={"ask": None}) if isinstance(r, RequiresRule) else r
                for r in shipped.rules
            ]
        }
    )
    result = await api.start(seed, {"alert": "5xx"}, model=model, db=db, policy=halting)
    assert result.status == "blocked"
    assert result.questions == []


class _UnusableSeverityStep:
    """The happy script, except that the severity step's reply never fits its schema."""

    def __init__(self, script: Script) -> None:
        self.inner, self.name = ScriptedModel(script), "weak"

    async def generate(self, request: ModelRequest[Any]) -> ModelResponse[Any]:
        if request.purpose == "step:severity-classification":
            raise ModelOutputError("weak: reply breaks StepResult", raw="{", errors="")
        return await self.inner.generate(request)

    async def aclose(self) -> None:
        """Nothing to release."""


def _asking_both(seed: SkillSet) -> Policy:
    """The shipped policy, asking a human for the severity and for the IC."""
    policy = _asking(seed)
    rules = [
        r.model_copy(update={"ask": FactQuestion(question="Who is the Incident Commander?")})
        if r.id == "commander-before-mitigation"
        else r
        for r in policy.rules
    ]
    return policy.model_copy(update={"rules": rules})


async def test_an_unusable_reply_asks_for_the_facts_its_step_owes_at_once(
    seed: SkillSet, happy: Script, db: str
) -> None:
    model = _UnusableSeverityStep(happy)
    paused = await api.start(seed, {"alert": "5xx"}, model=model, db=db, policy=_asking_both(seed))
    assert paused.status == "paused"
    asked = {q["text"]: q["alias"] for q in paused.questions}
    assert set(asked) == {SEVERITY.question, "Who is the Incident Commander?"}
    answers = {asked[SEVERITY.question]: "SEV1", asked["Who is the Incident Commander?"]: "dana"}
    done = await api.resume(paused.thread_id, answers, model=model, db=db)
    assert done.status == "completed", done.violations
    values, _ = await api.read_state(done.thread_id, db=db)
    assert (values["facts"]["severity"], values["facts"]["incident_commander"]) == ("SEV1", "dana")
    summary = values["results"]["severity-classification"]["result"]["summary"]
    assert summary.startswith("The model's reply was unusable")


async def test_a_result_the_human_supplied_is_left_out_of_the_run_judge(
    seed: SkillSet, happy: Script, db: str
) -> None:
    policy = _asking_both(seed)
    assert policy.judge.at == "last-step"
    model = _UnusableSeverityStep(happy)
    paused = await api.start(seed, {"alert": "5xx"}, model=model, db=db, policy=policy)
    answers = {q["alias"]: "SEV1" if "SEV" in q["text"] else "dana" for q in paused.questions}
    done = await api.resume(paused.thread_id, answers, model=model, db=db)
    assert done.status == "completed", done.violations
    values, _ = await api.read_state(done.thread_id, db=db)
    judged = {v["guardrail_id"] for v in values["verdicts"] if v["tier"] == "judge"}
    # the escalation guardrail names only the severity step, whose result is the human's
    assert judged == {
        "prefer-the-fastest-safe-mitigation-over",
        "do-not-assign-blame-in-postmortems",
    }
