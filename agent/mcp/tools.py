"""The MCP tools: thin calls into the engine, plus the questions a paused run asks.

``run_skill`` and ``answer_run`` drive a run until it ends or needs a human.
Then, on a 2026-07-28 session whose client can elicit, the tool returns an
``InputRequiredResult`` (one form per question, the thread id as request state)
and the client's next call carries the answers: the run resumes and goes on,
round after round. On an older session the tool elicits directly. When the
client declines, cannot elicit, or its request state expired, the tool returns
a normal result: the run is paused, here are its questions, and here is the
``answer_run`` call that continues it, from any session, the CLI or the inbox.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.shared.exceptions import MCPDeprecationWarning
from mcp.types import (
    CallToolResult,
    ElicitRequest,
    ElicitRequestFormParams,
    InputRequiredResult,
    ToolAnnotations,
)
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from agent.access import Principal
from agent.engine import api
from agent.engine.answers import Answer, HITLResponse, as_answer
from agent.engine.api import RunResult
from agent.engine.events import RunEvent
from agent.engine.store import open_store
from agent.errors import SkillweaveError, UnknownThreadError, UserError
from agent.mcp.auth import principal_from_headers
from agent.mcp.config import ServerConfig
from agent.mcp.questions import answer_from_form, form_key, form_message, form_schema
from agent.mcp.results import (
    InputView,
    RunList,
    RunSummary,
    RunView,
    SkillInfo,
    SkillList,
    SkillSummary,
    run_text,
    run_view,
    tool_result,
)
from agent.mcp.skills import skill_uri
from agent.skill.library import Library, default_skill_paths

Ctx = Context[Any, Any]
RunOutcome = Annotated[CallToolResult, RunView] | InputRequiredResult
"""What the driving tools return: a run view, or the questions for the client to ask."""
RunStatus = Literal["completed", "paused", "blocked", "failed", "running"]

RUNS_LISTED = 1000
"""How many recent runs ``list_runs`` looks through before keeping the caller's."""
DECLINED = "the client declined to answer now"
CANNOT_ASK = "this client cannot ask the questions itself"
EXPIRED = "the answers came back after the question round expired"


def caller(ctx: Ctx, config: ServerConfig) -> Principal:
    """The principal of this request, or a tool error when it has none."""
    found = principal_from_headers(ctx.headers, config.tokens, config.local)
    if found is None:
        raise ToolError("unauthorized: a valid bearer token is required")
    return found


def _acting(ctx: Ctx, config: ServerConfig) -> Principal:
    who = caller(ctx, config)
    if not who.can_act:
        raise ToolError(
            f"'{who.name}' is a viewer: viewers can read runs but not start or answer them"
        )
    return who


async def visible_run(config: ServerConfig, thread_id: str, who: Principal) -> str:
    """The skill of a run ``who`` may see; another principal's run is reported as unknown."""
    async with open_store(config.db, data_dir=config.data_dir) as store:
        info = await store.require_run(thread_id)
        team = config.tokens.team_of(info.principal) if config.tokens and info.principal else None
        if not who.may_see(info.principal, team):
            raise UnknownThreadError(
                f"no run with thread id '{thread_id}' in the run database "
                f"{store.database.describe()}"
            )
        return info.skill


def _modern(ctx: Ctx) -> bool:
    return ctx.protocol_version in MODERN_PROTOCOL_VERSIONS


def _can_elicit(ctx: Ctx) -> bool:
    caps = ctx.client_capabilities
    return caps is not None and caps.elicitation is not None


async def _log(ctx: Ctx, level: Literal["info", "warning", "error"], data: Any) -> None:
    """A log notification (deprecated in 2026-07-28, where a client opts in per request)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MCPDeprecationWarning)
        try:
            await ctx.session.send_log_message(
                level, data, logger="skillweave", related_request_id=ctx.request_id
            )
        except Exception:  # a client that went away must not fail the run
            return


class _Reporter:
    """Turns the engine's events into progress and log notifications for one tool call."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.steps = 0

    async def drive(self, events: AsyncIterator[RunEvent]) -> RunResult:
        """Report each event as it comes; the last one carries the result."""
        result: RunResult | None = None
        async for event in events:
            if event.kind == "status":
                result = RunResult(**event.data)
            elif event.kind == "step_started":
                self.steps += 1
                await self.ctx.report_progress(self.steps, None, f"step {event.step}")
            elif event.kind == "verdict":
                await self._verdict(event)
        assert result is not None
        if result.status == "blocked":
            await _log(
                self.ctx,
                "error",
                {
                    "thread_id": result.thread_id,
                    "status": "blocked",
                    "violations": result.violations,
                },
            )
        return result

    async def _verdict(self, event: RunEvent) -> None:
        outcome = str(event.data.get("outcome", ""))
        level: Literal["info", "warning", "error"] = (
            "error" if outcome == "block" else "warning" if outcome == "revise" else "info"
        )
        await _log(
            self.ctx,
            level,
            {
                "thread_id": event.thread_id,
                "step": event.step,
                "guardrail": event.data.get("guardrail_id"),
                "outcome": outcome,
                "message": event.data.get("message"),
            },
        )


def _view_result(result: RunResult, skill: str | None, note: str | None = None) -> CallToolResult:
    view = run_view(result, skill)
    return tool_result(view, run_text(view, note))


def _input_round(result: RunResult, skill: str | None) -> InputRequiredResult:
    """One elicitation form per pending question; the request state names the thread."""
    requests: dict[str, Any] = {
        form_key(result.thread_id, str(q["id"])): ElicitRequest(
            method="elicitation/create",
            params=ElicitRequestFormParams(
                mode="form",
                message=form_message(q, skill),
                requested_schema=form_schema(q),
            ),
        )
        for q in result.questions
    }
    return InputRequiredResult(
        input_requests=requests, request_state=json.dumps({"thread_id": result.thread_id})
    )


def _response_parts(response: Any) -> tuple[str, Mapping[str, Any] | None]:
    """(action, content) of an input response, whichever form it arrived in."""
    if isinstance(response, Mapping):
        return str(response.get("action", "")), response.get("content")
    return str(getattr(response, "action", "")), getattr(response, "content", None)


class RunDriver:
    """Drives runs for the tools: the engine call, the question rounds, the final view."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config

    def _events(self, thread_id: str, answers: Mapping[str, Answer]) -> AsyncIterator[RunEvent]:
        return api.run_events(
            thread_id,
            answers,
            model=self.config.model,
            db=self.config.db,
            data_dir=self.config.data_dir,
        )

    async def advance(
        self, ctx: Ctx, who: Principal, result: RunResult, skill: str | None
    ) -> CallToolResult | InputRequiredResult:
        """Ask the client while the run waits on a human; the view once it ends or cannot go on."""
        reporter = _Reporter(ctx)
        while result.status == "paused":
            if not _can_elicit(ctx):
                return _view_result(result, skill, CANNOT_ASK)
            if _modern(ctx):
                return _input_round(result, skill)
            answers = await self._elicit(ctx, who, result, skill)
            if answers is None:
                return _view_result(result, skill, DECLINED)
            result = await reporter.drive(self._events(result.thread_id, answers))
        return _view_result(result, skill)

    async def _elicit(
        self, ctx: Ctx, who: Principal, result: RunResult, skill: str | None
    ) -> dict[str, Answer] | None:
        """Ask each question in turn on a legacy session; None as soon as one is not answered."""
        answers: dict[str, Answer] = {}
        for q in result.questions:
            try:
                reply = await ctx.session.elicit_form(
                    form_message(q, skill), form_schema(q), related_request_id=ctx.request_id
                )
            except Exception:  # no back channel, or the client refused the request
                return None
            answer = answer_from_form(reply.content, who.name) if reply.action == "accept" else None
            if answer is None:
                return None
            answers[str(q["id"])] = answer
        return answers

    async def resume_from_round(
        self, ctx: Ctx, who: Principal, state: str
    ) -> CallToolResult | InputRequiredResult:
        """The client's answers to an input round: resume the run and go on."""
        try:
            thread_id = str(json.loads(state)["thread_id"])
        except (ValueError, KeyError, TypeError):
            raise ToolError("malformed request state") from None
        skill = await visible_run(self.config, thread_id, who)
        status = await api.get_status(thread_id, db=self.config.db, data_dir=self.config.data_dir)
        if status.status != "paused":
            return _view_result(status, skill)
        responses = ctx.input_responses or {}
        answers: dict[str, Answer] = {}
        for q in status.questions:
            response = responses.get(form_key(thread_id, str(q["id"])))
            if response is None:
                continue
            action, content = _response_parts(response)
            answer = answer_from_form(content, who.name) if action == "accept" else None
            if answer is None:
                return _view_result(status, skill, DECLINED)
            answers[str(q["id"])] = answer
        if not answers:  # the questions changed (answered elsewhere): ask the new ones
            return await self.advance(ctx, who, status, skill)
        result = await _Reporter(ctx).drive(self._events(thread_id, answers))
        return await self.advance(ctx, who, result, skill)


def known_skill(library: Library, name: str) -> str:
    """``name`` when it is a skill on the server's path; paths are not accepted over MCP.

    A caller names skills, never files: a path would let a remote caller make the
    server read any file, and the library's own message would show its folders.
    """
    if not library.has(name):
        raise UserError(f"unknown skill '{name}': list_skills shows the skills this server runs")
    return name


def _user_errors(exc: SkillweaveError) -> ToolError:
    return ToolError(" ".join(str(exc).split()))


def register_tools(server: MCPServer[Any], config: ServerConfig) -> None:
    """Add the six tools to ``server``."""
    driver = RunDriver(config)

    def library() -> Library:
        return Library(default_skill_paths(config.skill_paths))

    @server.tool(
        description="List the skills this server can run (name, description, SKILL.md resource).",
        annotations=ToolAnnotations(read_only_hint=True),
    )
    async def list_skills(ctx: Ctx) -> SkillList:
        caller(ctx, config)
        lib = library()
        skills = []
        for name in lib.names():
            try:
                skill = lib.get(name)
            except UserError:
                continue
            skills.append(
                SkillSummary(name=name, description=skill.description.strip(), uri=skill_uri(name))
            )
        return SkillList(skills=skills)

    @server.tool(
        description="What a skill does and takes: its inputs, outputs and steps. "
        "Call it before run_skill to learn the inputs.",
        annotations=ToolAnnotations(read_only_hint=True),
    )
    async def describe_skill(name: str, ctx: Ctx) -> SkillInfo:
        caller(ctx, config)
        try:
            lib = library()
            skill = lib.get(known_skill(lib, name))
        except UserError as exc:
            raise _user_errors(exc) from None
        return SkillInfo(
            name=skill.name,
            description=skill.description.strip(),
            version=skill.version,
            uri=skill_uri(skill.name),
            inputs=[
                InputView(**f.model_dump(include={"name", "type", "required", "description"}))
                for f in skill.inputs
            ],
            outputs=[
                InputView(**f.model_dump(include={"name", "type", "required", "description"}))
                for f in skill.outputs
            ],
            steps=[m.id for m in skill.micro_skills],
            dependencies=list(skill.dependencies),
            problems=[f"line {d.line}: {d.message}" for d in skill.diagnostics],
        )

    @server.tool(
        description="Start a run of a skill on inputs (a mapping; see describe_skill) and drive "
        "it until it finishes or needs a human. Questions are asked through the client when it "
        "can; otherwise the result is 'paused' with the questions and the answer_run call that "
        "continues it. evidence: a folder of incident data on the server, for the skill's tools.",
    )
    async def run_skill(
        skill: str,
        ctx: Ctx,
        inputs: dict[str, Any] | None = None,
        evidence: str | None = None,
    ) -> RunOutcome:
        who = _acting(ctx, config)
        try:
            if ctx.request_state is not None:
                return await driver.resume_from_round(ctx, who, ctx.request_state)
            lib = library()
            skillset = lib.resolve(known_skill(lib, skill))
            evidence_dir = Path(evidence) if evidence else None
            if evidence_dir is not None and (
                not evidence_dir.is_dir() or not config.evidence_allowed(evidence_dir)
            ):
                raise UserError(
                    f"evidence {evidence}: no such folder under the server's evidence roots"
                )
            events = api.run_events(
                skill=skillset,
                inputs=dict(inputs or {}),
                model=config.model,
                db=config.db,
                data_dir=config.data_dir,
                evidence=evidence_dir.resolve() if evidence_dir else None,
                skill_paths=list(config.skill_paths),
                principal=who.name,
            )
            result = await _Reporter(ctx).drive(events)
            return await driver.advance(ctx, who, result, skillset.skill.name)
        except SkillweaveError as exc:
            raise _user_errors(exc) from None

    @server.tool(
        description="Answer a paused run's questions (mapping of question id or alias, e.g. "
        "'q1', to the answer: one of its choices, or approve/reject for approvals, or for an "
        "approval LangChain HITL decisions {decisions: [{type: approve|edit|reject, ...}]}) "
        "and drive it on. Works hours later and from any session.",
    )
    async def answer_run(
        thread_id: str, answers: dict[str, str | HITLResponse], ctx: Ctx
    ) -> RunOutcome:
        who = _acting(ctx, config)
        try:
            if ctx.request_state is not None:
                return await driver.resume_from_round(ctx, who, ctx.request_state)
            skill = await visible_run(config, thread_id, who)
            given = {k: as_answer(v, who.name) for k, v in answers.items()}
            events = api.run_events(
                thread_id, given, model=config.model, db=config.db, data_dir=config.data_dir
            )
            result = await _Reporter(ctx).drive(events)
            return await driver.advance(ctx, who, result, skill)
        except SkillweaveError as exc:
            raise _user_errors(exc) from None

    @server.tool(
        description="Where a run stands: status, pending questions, outputs, violations, usage.",
        annotations=ToolAnnotations(read_only_hint=True),
    )
    async def get_run(thread_id: str, ctx: Ctx) -> Annotated[CallToolResult, RunView]:
        who = caller(ctx, config)
        try:
            skill = await visible_run(config, thread_id, who)
            result = await api.get_status(thread_id, db=config.db, data_dir=config.data_dir)
        except SkillweaveError as exc:
            raise _user_errors(exc) from None
        return _view_result(result, skill)

    @server.tool(
        description="The runs you may see, newest first; status filters them "
        "(e.g. 'paused' for runs waiting on a human).",
        annotations=ToolAnnotations(read_only_hint=True),
    )
    async def list_runs(ctx: Ctx, status: RunStatus | None = None) -> RunList:
        who = caller(ctx, config)
        runs = await api.list_runs(
            db=config.db, data_dir=config.data_dir, status=status, limit=RUNS_LISTED
        )
        book = config.tokens
        return RunList(
            runs=[
                RunSummary(
                    thread_id=r.thread_id,
                    skill=r.skill,
                    status=r.status,
                    started_at=str(r.started_at) if r.started_at else None,
                    updated_at=str(r.updated_at) if r.updated_at else None,
                    owner=r.principal,
                )
                for r in runs
                if who.may_see(
                    r.principal, book.team_of(r.principal) if book and r.principal else None
                )
            ]
        )
