"""A caller names only what the operator offered: models from a list, evidence under roots."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from web_helpers import INCIDENT, REPO

from agent.http import ServerSettings


async def test_a_model_the_server_does_not_offer_is_422_naming_the_offered_ones(
    dana: httpx.AsyncClient,
) -> None:
    response = await dana.post("/api/runs", json={**INCIDENT, "model": "gpt@http://127.0.0.1:9/v1"})
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "not offered by this server" in detail
    assert INCIDENT["model"] in detail


async def test_a_script_elsewhere_on_the_host_is_not_a_model_a_caller_can_pick(
    dana: httpx.AsyncClient, tmp_path: Path
) -> None:
    script = tmp_path / "script.yaml"
    script.write_text("replies: []\n", encoding="utf-8")
    response = await dana.post("/api/runs", json={**INCIDENT, "model": f"scripted:{script}"})
    assert response.status_code == 422


async def test_evidence_outside_the_roots_is_422(dana: httpx.AsyncClient) -> None:
    response = await dana.post("/api/runs", json={**INCIDENT, "evidence": str(REPO / "agent")})
    assert response.status_code == 422
    assert "evidence roots" in response.json()["detail"]


async def test_evidence_under_a_root_starts_the_run(dana: httpx.AsyncClient) -> None:
    response = await dana.post("/api/runs", json=INCIDENT)
    assert response.status_code == 201


async def test_the_start_form_offers_exactly_the_allowed_models(
    dana: httpx.AsyncClient, settings: ServerSettings
) -> None:
    page = (await dana.get("/")).text
    model_select = page.split('name="model"')[1].split("</select>")[0]
    assert model_select.count("<option>") == len(settings.offered_models())
    assert all(f"<option>{spec}</option>" in model_select for spec in settings.offered_models())


def test_the_default_model_is_offered_once_and_first() -> None:
    settings = ServerSettings(model="a", models=("b", "a", "c"))
    assert settings.offered_models() == ("a", "b", "c")


async def test_serve_on_temporal_checks_models_and_evidence_the_same_way(
    settings: ServerSettings,
) -> None:
    from agent.access import Principal
    from agent.errors import UserError
    from agent.temporal.hub import TemporalHub

    hub = TemporalHub(settings, "127.0.0.1:1", "skillweave")
    dana = Principal("dana", "operator")
    with pytest.raises(UserError, match="not offered"):
        await hub.start(dana, "incident-response", {}, model="gpt@http://127.0.0.1:9/v1")
    with pytest.raises(UserError, match="evidence roots"):
        await hub.start(dana, "incident-response", {}, evidence=str(REPO / "agent"))
