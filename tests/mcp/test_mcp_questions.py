"""A paused run's questions cross MCP: input requests on 2026-07-28, elicitation before it."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client, types
from mcp_support import RUN_ARGS, SEVERITY_NOTE, Human, structured, text

from agent.engine import api
from agent.mcp import ServerConfig, build_server

MODES = {"auto": "2026-07-28", "legacy": "2025-11-25"}


@pytest.fixture(params=sorted(MODES))
def mode(request: pytest.FixtureRequest) -> str:
    """Both protocol eras: input requests (auto negotiates 2026-07-28) and legacy elicitation."""
    return str(request.param)


async def test_a_run_asks_each_question_through_the_client_and_completes(
    config: ServerConfig, mode: str
) -> None:
    human = Human()
    async with Client(build_server(config), mode=mode, elicitation_callback=human) as client:
        assert client.protocol_version == MODES[mode]
        result = await client.call_tool("run_skill", RUN_ARGS)
    run = structured(result)
    assert run["status"] == "completed"
    assert set(run["outputs"]) >= {"severity", "mitigation", "postmortem"}
    forms = [p.requested_schema["properties"]["answer"].get("enum") for p in human.asked]
    assert forms == [["SEV2", "SEV3"], ["approve", "reject"]]


async def test_answers_are_recorded_with_the_principal_who_gave_them(
    config: ServerConfig, mode: str
) -> None:
    async with Client(build_server(config), mode=mode, elicitation_callback=Human()) as client:
        run = structured(await client.call_tool("run_skill", RUN_ARGS))
    transcript = await api.export_transcript(
        run["thread_id"], db=config.db, data_dir=config.data_dir
    )
    answers = [e for e in transcript.model_dump()["audit_log"] if e["kind"] == "answer"]
    assert [a["data"]["by"] for a in answers] == [config.local.name, config.local.name]
    assert SEVERITY_NOTE in answers[0]["data"]["text"]


async def test_a_declined_question_leaves_the_run_paused_with_the_call_that_continues_it(
    config: ServerConfig, mode: str
) -> None:
    server = build_server(config)
    async with Client(server, mode=mode, elicitation_callback=Human(decline=True)) as client:
        result = await client.call_tool("run_skill", RUN_ARGS)
    run = structured(result)
    assert run["status"] == "paused"
    assert [q["alias"] for q in run["questions"]] == ["q1"]
    assert run["next_call"]["tool"] == "answer_run"
    assert run["next_call"]["arguments"] == {
        "thread_id": run["thread_id"],
        "answers": {"q1": "<one of: SEV2, SEV3>"},  # a placeholder, never a choice made for you
    }
    assert "answer_run" in text(result)


async def test_a_declined_run_is_answered_later_with_answer_run_from_another_session(
    config: ServerConfig, mode: str
) -> None:
    server = build_server(config)
    async with Client(server, mode=mode, elicitation_callback=Human(decline=True)) as client:
        thread_id = structured(await client.call_tool("run_skill", RUN_ARGS))["thread_id"]
    async with Client(server, mode=mode) as later:  # no elicitation: answers come as arguments
        first = structured(
            await later.call_tool(
                "answer_run",
                {"thread_id": thread_id, "answers": {"q1": f"SEV2 — {SEVERITY_NOTE}"}},
            )
        )
        assert first["status"] == "paused"
        assert first["questions"][0]["kind"] == "approval"
        alias = first["questions"][0]["alias"]
        done = structured(
            await later.call_tool(
                "answer_run", {"thread_id": thread_id, "answers": {alias: "approve"}}
            )
        )
    assert done["status"] == "completed"


async def test_a_client_that_cannot_elicit_gets_the_paused_run(
    config: ServerConfig, mode: str
) -> None:
    async with Client(build_server(config), mode=mode) as client:
        result = await client.call_tool("run_skill", RUN_ARGS)
    assert structured(result)["status"] == "paused"
    assert "cannot ask" in text(result)


async def test_a_run_answered_elsewhere_meanwhile_is_not_answered_twice(
    config: ServerConfig,
) -> None:
    server = build_server(config)
    async with Client(server, elicitation_callback=Human()) as client:
        first = await client.session.call_tool("run_skill", RUN_ARGS, allow_input_required=True)
        assert isinstance(first, types.InputRequiredResult)
        (key,) = first.input_requests
        thread_id = key.split("/")[0]
        await api.resume(
            thread_id, {"q1": f"SEV2 — {SEVERITY_NOTE}"}, db=config.db, data_dir=config.data_dir
        )
        accept = types.ElicitResult(action="accept", content={"answer": "SEV3"})
        again = await client.session.call_tool(
            "run_skill",
            RUN_ARGS,
            input_responses={key: accept},
            request_state=first.request_state,
            allow_input_required=True,
        )
    # The pending question is now the approval: it is asked, the stale SEV3 is not applied.
    assert isinstance(again, types.InputRequiredResult)
    (request,) = again.input_requests.values()
    assert isinstance(request, types.ElicitRequest)
    assert "approve" in request.params.message.lower()


async def test_answers_that_come_back_after_the_round_expired_get_the_paused_run(
    config: ServerConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mcp.server.request_state as request_state

    async with Client(build_server(config), elicitation_callback=Human()) as client:
        first = await client.session.call_tool("run_skill", RUN_ARGS, allow_input_required=True)
        assert isinstance(first, types.InputRequiredResult)
        later = request_state.time.time() + config.request_state_ttl + 60
        monkeypatch.setattr(request_state.time, "time", lambda: later)
        accept = types.ElicitResult(action="accept", content={"answer": "SEV2"})
        result = await client.session.call_tool(
            "run_skill",
            RUN_ARGS,
            input_responses=dict.fromkeys(first.input_requests, accept),
            request_state=first.request_state,
            allow_input_required=True,
        )
    assert isinstance(result, types.CallToolResult)
    run = structured(result)
    assert run["status"] == "paused"
    assert run["next_call"]["tool"] == "answer_run"
    assert "expired" in text(result)


async def test_each_step_is_reported_as_progress(config: ServerConfig, mode: str) -> None:
    messages: list[str | None] = []

    async def progress(done: float, total: float | None, message: str | None) -> None:
        messages.append(message)

    async with Client(build_server(config), mode=mode, elicitation_callback=Human()) as client:
        await client.call_tool("run_skill", RUN_ARGS, progress_callback=progress)
    assert "step severity-classification" in messages
    assert messages[-1] == "step postmortem"


async def test_guardrail_verdicts_arrive_as_log_messages(config: ServerConfig, mode: str) -> None:
    logged: list[Any] = []

    async def log(params: types.LoggingMessageNotificationParams) -> None:
        logged.append(params.data)

    async with Client(
        build_server(config),
        mode=mode,
        elicitation_callback=Human(),
        logging_callback=log,
        log_level="info",
    ) as client:
        await client.call_tool("run_skill", RUN_ARGS)
    verdicts = [d for d in logged if isinstance(d, dict) and "guardrail" in d]
    assert verdicts
    assert all(d["outcome"] in ("allow", "revise", "approve", "block") for d in verdicts)
