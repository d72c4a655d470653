"""Record a run against a (mocked) server, replay it offline, and keep secrets out of cassettes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import respx
from pydantic import BaseModel

from agent.errors import ConfigError
from agent.llm import ModelRequest, build_model
from agent.llm.replay import ReplayMismatchError

from .wire import API_KEY, BASE_URL, completion

ENV = {"OPENAI_API_KEY": API_KEY, "OPENAI_BASE_URL": BASE_URL}
ASK = [{"role": "user", "content": "Classify the checkout outage."}]


class Severity(BaseModel):
    level: str


async def _record(api: respx.MockRouter, cassette: Path) -> None:
    # the server echoes the key back, as some error pages do: it must still be scrubbed
    reply = completion('{"level": "SEV2"}')
    reply["system_fingerprint"] = f"key {API_KEY} / Bearer {API_KEY}"
    api.post("/chat/completions").respond(200, json=reply)
    model = build_model(f"record:{cassette}@openai:gpt-test", env=ENV)
    response = await model.generate(ModelRequest("triage", ASK, schema=Severity))
    await model.aclose()
    assert response.output == Severity(level="SEV2")


async def test_a_recorded_run_replays_offline_with_the_same_output(
    api: respx.MockRouter, tmp_path: Path
) -> None:
    cassette = tmp_path / "run.json"
    await _record(api, cassette)
    api.stop()  # replay must not need the server
    model = build_model(f"replay:{cassette}")
    response = await model.generate(ModelRequest("triage", ASK, schema=Severity))
    assert response.output == Severity(level="SEV2")
    assert model.name == "replay:run.json"


async def test_a_request_the_cassette_did_not_record_fails_clearly(
    api: respx.MockRouter, tmp_path: Path
) -> None:
    cassette = tmp_path / "run.json"
    await _record(api, cassette)
    model = build_model(f"replay:{cassette}")
    drifted = [{"role": "user", "content": "Classify the search outage."}]
    with pytest.raises(ReplayMismatchError, match="differs from the recording in its body"):
        await model.generate(ModelRequest("triage", drifted, schema=Severity))


async def test_the_api_key_never_appears_in_a_recorded_cassette(
    api: respx.MockRouter, tmp_path: Path
) -> None:
    cassette = tmp_path / "run.json"
    await _record(api, cassette)
    text = cassette.read_text()
    assert API_KEY not in text
    assert "<redacted>" in text
    assert json.loads(text)["interactions"][0]["request"]["path"] == "/v1/chat/completions"


def test_a_file_that_is_not_a_cassette_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    path.write_text('{"hello": 1}')
    with pytest.raises(ConfigError, match="not a skillweave cassette"):
        build_model(f"replay:{path}")


async def test_a_recording_made_with_spec_options_replays_with_the_same_request_shapes(
    api: respx.MockRouter, tmp_path: Path
) -> None:
    cassette = tmp_path / "run.json"
    api.post("/chat/completions").respond(200, json=completion('{"level": "SEV2"}'))
    spec = f"record:{cassette}@openai:gpt-test?structured=json_object&max_tokens=300"
    recorder = build_model(spec, env=ENV)
    await recorder.generate(ModelRequest("triage", ASK, schema=Severity))
    await recorder.aclose()
    api.stop()
    model = build_model(f"replay:{cassette}")
    response = await model.generate(ModelRequest("triage", ASK, schema=Severity))
    assert response.structured_mode == "json_object"  # not json_schema: that was never recorded
    sent = json.loads(cassette.read_text())["interactions"][0]["request"]["body"]
    assert (sent["response_format"]["type"], sent["max_tokens"]) == ("json_object", 300)
