"""Status channels: the Slack-compatible webhook, its failures, and the file/stdout defaults."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import respx

from agent.channels import StatusLog, open_channel
from agent.plugins import ToolContext
from agent.skill.library import SkillSet
from tools import examples

HOOK = "https://hooks.example.test/services/T000/B000/XXXX"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "incidents" / "checkout-deploy-spike"


def _texts(route: respx.Route) -> list[str]:
    return [json.loads(call.request.content)["text"] for call in route.calls]


@respx.mock
async def test_webhook_posts_slack_text_payload(tmp_path: Path) -> None:
    route = respx.post(HOOK).mock(return_value=httpx.Response(200, text="ok"))
    delivery = await open_channel(tmp_path, "t", webhook_url=HOOK).send("SEV2 declared", "k-1")
    assert delivery.delivered
    assert _texts(route) == ["SEV2 declared"]


@respx.mock
async def test_a_failed_update_is_recorded_and_queued_not_raised(tmp_path: Path) -> None:
    respx.post(HOOK).mock(return_value=httpx.Response(500, text="boom"))
    delivery = await open_channel(tmp_path, "t", webhook_url=HOOK).send("first", "k-1")
    assert (delivery.delivered, delivery.queued) == (False, True)
    assert delivery.error is not None
    assert "HTTP 500" in delivery.error
    log = StatusLog(tmp_path, "t")
    assert [(e["text"], e["delivered"]) for e in log.entries()] == [("first", False)]
    assert log.pending() == [("first", "k-1")]


@respx.mock
async def test_the_next_update_resends_the_queued_one_first(tmp_path: Path) -> None:
    codes = [500, 500, 200, 200]  # first fails twice; then it and the second go through
    route = respx.post(HOOK).mock(side_effect=[httpx.Response(c) for c in codes])
    channel = open_channel(tmp_path, "t", webhook_url=HOOK)
    await channel.send("first", "k-1")
    delivery = await channel.send("second", "k-2")
    assert (delivery.delivered, delivery.resent) == (True, 1)
    assert _texts(route) == ["first", "first", "first", "second"]
    assert StatusLog(tmp_path, "t").pending() == []


@respx.mock
async def test_an_update_already_delivered_under_its_key_is_not_sent_again(
    tmp_path: Path,
) -> None:
    route = respx.post(HOOK).mock(return_value=httpx.Response(200))
    await open_channel(tmp_path, "t", webhook_url=HOOK).send("SEV2 declared", "k-1")
    again = await open_channel(tmp_path, "t", webhook_url=HOOK).send("SEV2 declared", "k-1")
    assert again.delivered
    assert route.call_count == 1
    assert [e["key"] for e in StatusLog(tmp_path, "t").entries()] == ["k-1"]


@respx.mock
async def test_every_webhook_post_carries_its_updates_idempotency_key(tmp_path: Path) -> None:
    codes = [500, 500, 200, 200]
    route = respx.post(HOOK).mock(side_effect=[httpx.Response(c) for c in codes])
    channel = open_channel(tmp_path, "t", webhook_url=HOOK)
    await channel.send("first", "k-1")
    await channel.send("second", "k-2")
    keys = [call.request.headers["idempotency-key"] for call in route.calls]
    assert keys == ["k-1", "k-1", "k-1", "k-2"]


async def test_a_file_update_already_recorded_under_its_key_is_not_recorded_twice(
    tmp_path: Path,
) -> None:
    await open_channel(tmp_path, "t").send("mitigated", "k-1")
    await open_channel(tmp_path, "t").send("mitigated", "k-1")
    assert len(StatusLog(tmp_path, "t").entries()) == 1


@respx.mock
async def test_an_unreachable_webhook_is_a_recorded_failure(tmp_path: Path) -> None:
    respx.post(HOOK).mock(side_effect=httpx.ConnectError("connection refused"))
    delivery = await open_channel(tmp_path, "t", webhook_url=HOOK).send("update", "k-1")
    assert not delivery.delivered
    assert delivery.error is not None
    assert "ConnectError" in delivery.error


async def test_stdout_channel_prints_and_records(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await open_channel(tmp_path, "t", channel="stdout").send("mitigated", "k-1")
    assert "[status update] mitigated" in capsys.readouterr().out
    assert [e["channel"] for e in StatusLog(tmp_path, "t").entries()] == ["stdout"]


@respx.mock
async def test_a_run_goes_on_when_the_status_webhook_fails(
    seed: SkillSet, tmp_path: Path, db: str
) -> None:
    route = respx.post(HOOK).mock(return_value=httpx.Response(503))
    ctx = ToolContext(
        data_dir=tmp_path, thread_id="run", evidence_dir=EXAMPLE, status_webhook_url=HOOK
    )
    result, _ = await examples.run_with_answers(seed, EXAMPLE, ctx, db, "run")
    assert result.status == "completed", result.violations
    assert route.called
    entries = StatusLog(tmp_path, "run").entries()  # the status update, the postmortem share
    assert [(e["delivered"], e["queued"]) for e in entries] == [(False, True)] * 2
