"""The API keeps its OpenAPI document: schemathesis sends generated requests (bounded)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from web_helpers import HOSTILE_SKILLS, TOKENS

from agent.access import load_tokens
from agent.http import ServerSettings, create_app


def _app() -> Any:
    home = Path(tempfile.mkdtemp(prefix="skillweave-schema-"))
    tokens = home / "tokens.yaml"
    tokens.write_text(
        yaml.safe_dump(
            [
                {"token": t, "principal": n, "role": r, "team": team}
                for n, (t, r, team) in TOKENS.items()
            ]
        ),
        encoding="utf-8",
    )
    return create_app(
        ServerSettings(
            db=f"sqlite:///{home / 'runs.sqlite'}",
            data_dir=home,
            tokens=load_tokens(tokens),
            skill_paths=(HOSTILE_SKILLS,),
            start_wait=5,
            answer_wait=5,
        )
    )


schema = schemathesis.openapi.from_asgi("/openapi.json", _app())


@schema.exclude(path="/api/runs/{thread_id}/events").parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_response_matches_the_openapi_document(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKENS['dana'][0]}"})
