"""A step whose reply kept a wrongly typed field after its repairs goes on without that field."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from agent.engine import api
from agent.llm.base import DroppedValue, ModelRequest, ModelResponse, T
from agent.llm.scripted import ScriptedModel
from agent.skill.library import SkillSet

Script = dict[str, list[dict[str, Any]]]
DROPPED = DroppedValue("fields.severity", "Input should be a valid string", {"level": "SEV2"})


class _Salvaging:
    """The scripted model, answering the postmortem step as if the model layer left a value out."""

    def __init__(self, inner: ScriptedModel) -> None:
        self.inner = inner
        self.name = inner.name
        self.salvage: dict[str, tuple[str, ...]] = {}

    async def generate(self, request: ModelRequest[T]) -> ModelResponse[T]:
        self.salvage[request.purpose] = request.salvage
        response = await self.inner.generate(request)
        if request.purpose == "step:postmortem":
            return replace(response, dropped=[DROPPED])
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_steps_let_the_model_layer_leave_out_bad_values_under_fields_only(
    seed: SkillSet, happy: Script, db: str
) -> None:
    model = _Salvaging(ScriptedModel(happy))
    done = await api.start(seed, {"alert": "5xx"}, model=model, db=db)
    assert done.status == "completed", done.failure
    steps = {p: s for p, s in model.salvage.items() if p.startswith("step:")}
    assert len(steps) == len(seed.skill.micro_skills)
    assert set(steps.values()) == {("fields",)}
    assert model.salvage["plan"] == ()


async def test_a_left_out_value_is_noted_in_the_scratchpad_with_what_the_model_gave(
    seed: SkillSet, happy: Script, db: str
) -> None:
    done = await api.start(seed, {"alert": "5xx"}, model=_Salvaging(ScriptedModel(happy)), db=db)
    doc = await api.export_transcript(done.thread_id, db=db, include_scratchpad=True)
    notes = [n for n in doc.scratchpad or [] if n["kind"] == "dropped"]
    assert [n["step"] for n in notes] == ["postmortem"]
    assert "fields.severity" in notes[0]["text"]
    assert '{"level": "SEV2"}' in notes[0]["text"]
