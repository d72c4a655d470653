"""The JSON API under ``/api``: skills, runs, answers, questions and the live event stream."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse

from agent.access import Principal
from agent.engine import api
from agent.engine.transcript import Transcript
from agent.errors import SkillResolutionError
from agent.http.auth import require_operator
from agent.http.deps import caller, hub_of
from agent.http.runs import RunHub, UnknownSkill
from agent.http.schemas import (
    AnswersIn,
    PendingQuestion,
    Problem,
    RunCreated,
    RunOut,
    RunSummary,
    SkillDetail,
    SkillSummary,
    StartRun,
)
from agent.http.sse import last_event_id, run_stream
from agent.http.views import pending_questions

Caller = Annotated[Principal, Depends(caller)]
Hub = Annotated[RunHub, Depends(hub_of)]


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    described = {
        400: "the body is not JSON",
        401: "no valid bearer token",
        403: "the caller may not do this (a viewer, or a cross-site form)",
        404: "no such skill or run (another principal's runs are not found either)",
        409: "the run is not waiting for that answer, or another answer is being applied",
        422: "a malformed request, an unknown question or a value outside the choices",
    }
    return {c: {"model": Problem, "description": described[c]} for c in {401, 422, *codes}}


router = APIRouter(prefix="/api")


@router.get("/skills", responses=_errors())
async def list_skills(_: Caller, hub: Hub) -> list[SkillSummary]:
    """Every skill this server can run."""
    library = hub.library()
    skills = []
    for name in library.names():
        try:
            skill = library.get(name)
        except SkillResolutionError:
            continue
        skills.append(
            SkillSummary(name=skill.name, description=skill.description, version=skill.version)
        )
    return skills


@router.get("/skills/{name}", responses=_errors(404))
async def get_skill(name: str, _: Caller, hub: Hub) -> SkillDetail:
    """One skill: its inputs, outputs and steps."""
    library = hub.library()
    if not library.has(name):
        raise UnknownSkill(f"no skill named '{name}' on this server")
    skill = library.get(name)
    return SkillDetail(
        name=skill.name,
        description=skill.description,
        version=skill.version,
        inputs=[
            f.model_dump(include={"name", "type", "required", "description"}) for f in skill.inputs
        ],
        outputs=[
            f.model_dump(include={"name", "type", "required", "description"}) for f in skill.outputs
        ],
        micro_skills=[m.model_dump(include={"id", "title", "mode"}) for m in skill.micro_skills],
    )


@router.post("/runs", status_code=201, responses=_errors(400, 403, 404))
async def start_run(body: StartRun, who: Caller, hub: Hub) -> RunCreated:
    """Start a run; it goes on in the background and pauses at its first question."""
    require_operator(who)
    result = await hub.start(who, body.skill, body.inputs, evidence=body.evidence, model=body.model)
    return RunCreated.model_validate(
        {"thread_id": result.thread_id, "status": result.status, "questions": result.questions}
    )


RunStatus = Literal["running", "paused", "completed", "blocked", "failed"]


@router.get("/runs", responses=_errors())
async def list_runs(
    who: Caller,
    hub: Hub,
    status: Annotated[RunStatus | None, Query(description="only runs with this status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[RunSummary]:
    """The runs the caller may see, newest first."""
    return [
        RunSummary(
            thread_id=r.thread_id,
            skill=r.skill,
            status="running" if hub.busy(r.thread_id) else r.status,
            started_at=r.started_at,
            updated_at=r.updated_at,
            principal=r.principal,
        )
        for r in await hub.runs(who, status=status, limit=limit)
    ]


@router.get("/runs/{thread_id}", responses=_errors(404))
async def get_run(thread_id: str, who: Caller, hub: Hub) -> RunOut:
    """Where one run stands, with its pending questions and outputs."""
    await hub.info(thread_id, who)
    return RunOut.model_validate(asdict(await hub.status(thread_id)))


@router.get("/runs/{thread_id}/transcript", responses=_errors(404))
async def get_transcript(thread_id: str, who: Caller, hub: Hub) -> Transcript:
    """The run's transcript document (without the private scratchpad)."""
    await hub.info(thread_id, who)
    return await api.export_transcript(
        thread_id, db=hub.settings.db, data_dir=hub.settings.data_dir
    )


@router.post("/runs/{thread_id}/answers", responses=_errors(400, 403, 404, 409))
async def answer_run(thread_id: str, body: AnswersIn, who: Caller, hub: Hub) -> RunOut:
    """Answer a paused run's questions as the caller; the run goes on from there."""
    require_operator(who)
    await hub.info(thread_id, who)
    return RunOut.model_validate(asdict(await hub.answer(who, thread_id, body.answers)))


@router.get(
    "/runs/{thread_id}/events",
    responses={
        **_errors(404),
        200: {"content": {"text/event-stream": {}}, "description": "server-sent events"},
    },
    response_class=StreamingResponse,
)
async def run_events(
    thread_id: str,
    request: Request,
    who: Caller,
    hub: Hub,
    last_event: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    """The run's events as server-sent events; reconnect with ``Last-Event-ID`` to resume."""
    await hub.info(thread_id, who)
    return StreamingResponse(
        run_stream(hub, thread_id, last_event_id(last_event), request.is_disconnected),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/questions", responses=_errors())
async def list_questions(who: Caller, hub: Hub) -> list[PendingQuestion]:
    """Every pending question across the runs the caller may see, oldest first."""
    return [PendingQuestion.model_validate(q) for q in await pending_questions(hub, who)]
