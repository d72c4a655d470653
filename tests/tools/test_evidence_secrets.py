"""Secrets planted in evidence never reach the model: every tool answer shows them redacted.

Each credential is planted in a different evidence file type the bundle reads
(CSV, JSON, JSONL, the incident description); every tool is then asked for
everything, and no answer may contain a planted value. The answers must still
show the planted records (their refs and a ``[redacted:KIND]`` marker), so an
answer that simply left them out would fail too.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from agent.evidence import open_bundle
from agent.plugins import ToolContext, load_tools
from agent.skill.library import SkillSet

DB_PASSWORD = "Pg-Hunter2-prod-77"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkYW5hIn0.c2lnbmF0dXJlLXNlY3JldA"
GITHUB = "ghp_R2d2C3poR2d2C3poR2d2C3poR2d2C3po1234"
SLACK = "xoxb-998877665544-112233445566-AbCdEfGhIjKlMnOp"
OPENAI = "sk-proj-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2"
AWS_KEY = "AKIAQWERTYUIOPASDFGH"
AWS_SECRET = "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"
PRIVATE_KEY = "MIIEpAIBAAKCAQEAprivatekeymaterial0123"
CONFIG_SECRET = "cfg-s3cr3t-Value-42"
BEARER = "opaqueBearerToken0123456789abcdef"
SECRETS = {
    "db_password": DB_PASSWORD,
    "jwt": JWT,
    "github": GITHUB,
    "slack": SLACK,
    "openai": OPENAI,
    "aws_key": AWS_KEY,
    "aws_secret": AWS_SECRET,
    "private_key": PRIVATE_KEY,
    "config_secret": CONFIG_SECRET,
    "bearer": BEARER,
}


def _planted(root: Path) -> Path:
    """A bundle with a credential in every file type; times fall in one window."""
    root.mkdir()
    (root / "incident.md").write_text(
        "# Checkout down\nThe DSN in the runbook is "
        f"postgres://app:{DB_PASSWORD}@db.internal:5432/shop\n"
        f"-----BEGIN RSA PRIVATE KEY-----\n{PRIVATE_KEY}\n-----END RSA PRIVATE KEY-----\n",
        encoding="utf-8",
    )
    (root / "deploys.csv").write_text(
        "timestamp,service,version,description,deploy_token\n"
        f"2026-11-20T09:58:00Z,checkout,v2.14.0,pushed with {GITHUB},{SLACK}\n",
        encoding="utf-8",
    )
    (root / "config_changes.jsonl").write_text(
        json.dumps(
            {
                "timestamp": "2026-11-20T09:50:00Z",
                "service": "checkout",
                "key": "payments.secret",
                "old": f"secret: {CONFIG_SECRET}",
                "aws_secret_access_key": AWS_SECRET,
            }
        )
        + "\n",
        encoding="utf-8",
    )
    (root / "feature_flags.json").write_text(
        json.dumps([{"timestamp": "2026-11-20T09:52:00Z", "service": "checkout", "note": AWS_KEY}]),
        encoding="utf-8",
    )
    logs = [
        {"timestamp": "2026-11-20T10:00:00Z", "level": "error", "service": "checkout",
         "message": f"upstream 401, sent Authorization: Bearer {BEARER}"},
        {"timestamp": "2026-11-20T10:00:05Z", "level": "error", "service": "checkout",
         "message": f"payment client init failed api_key={OPENAI}"},
        {"timestamp": "2026-11-20T10:00:07Z", "level": "error", "service": "checkout",
         "message": f"session {JWT} rejected"},
    ]  # fmt: skip
    (root / "logs.jsonl").write_text("".join(json.dumps(x) + "\n" for x in logs))
    traces = [
        {"timestamp": "2026-11-20T10:00:03Z", "trace_id": "t1", "service": "checkout",
         "status": "error", "http_status": 502, "db": f"postgres://app:{DB_PASSWORD}@db:5432"},
    ]  # fmt: skip
    (root / "traces.json").write_text(json.dumps(traces, indent=1))
    (root / "metrics.csv").write_text(
        "timestamp,service,metric,value,source\n"
        f"2026-11-20T10:00:00Z,checkout,error_rate,7.5,https://scraper:{DB_PASSWORD}@prom:9090\n"
    )
    (root / "alerts.csv").write_text(
        "timestamp,service,name,runbook\n"
        f"2026-11-20T10:03:00Z,checkout,CheckoutErrorRateHigh,password={DB_PASSWORD}\n"
    )
    return root


def _answers(seed: SkillSet, ctx: ToolContext) -> dict[str, str]:
    """Every evidence tool's answer when asked for everything it has."""
    by_name = {t.name: t for t in load_tools(seed.skill, ctx)}
    calls = {
        "get_incident_description": {},
        "list_recent_changes": {"limit": 50},
        "query_metric": {"service": "checkout", "metric": "error_rate", "limit": 50},
        "search_logs": {"limit": 50},
        "get_failed_traces": {"limit": 50},
        "list_alerts": {"limit": 50},
    }
    assert set(calls) <= set(by_name)
    return {name: str(by_name[name].invoke(args)) for name, args in calls.items()}


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return _planted(tmp_path / "bundle")


@pytest.fixture
def answers(seed: SkillSet, bundle: Path, tmp_path: Path) -> dict[str, str]:
    return _answers(
        seed, ToolContext(data_dir=tmp_path / "data", thread_id="t", evidence_dir=bundle)
    )


@pytest.mark.parametrize("which", sorted(SECRETS))
def test_no_tool_answer_contains_a_planted_secret(answers: dict[str, str], which: str) -> None:
    leaks = [name for name, text in answers.items() if SECRETS[which] in text]
    assert leaks == []


@pytest.mark.parametrize(
    ("tool", "ref", "kind"),
    [
        ("get_incident_description", "incident.md:1", "password"),
        ("get_incident_description", "incident.md:1", "private_key"),
        ("list_recent_changes", "deploys.csv:2", "github_token"),
        ("list_recent_changes", "deploys.csv:2", "token"),  # the deploy_token column, by name
        ("list_recent_changes", "config_changes.jsonl:1", "secret"),
        ("list_recent_changes", "feature_flags.json:1", "aws_access_key"),
        ("search_logs", "logs.jsonl:1", "bearer_token"),
        ("search_logs", "logs.jsonl:2", "api_key"),
        ("search_logs", "logs.jsonl:3", "jwt"),
        ("get_failed_traces", "traces.json:2", "password"),
        ("query_metric", "metrics.csv:2", "password"),
        ("list_alerts", "alerts.csv:2", "password"),
    ],
)
def test_a_redacted_record_keeps_its_ref_and_says_what_was_redacted(
    answers: dict[str, str], tool: str, ref: str, kind: str
) -> None:
    answer = json.loads(answers[tool])
    item = next(i for i in answer["items"] if i["ref"] == ref)
    assert f"[redacted:{kind}]" in json.dumps(item)
    assert ref in answer["refs"]


def test_the_rest_of_a_redacted_record_is_kept(answers: dict[str, str]) -> None:
    item = json.loads(answers["get_failed_traces"])["items"][0]
    assert item["db"] == "postgres://app:[redacted:password]@db:5432"
    assert (item["trace_id"], item["http_status"]) == ("t1", 502)


def test_the_bundle_files_on_disk_stay_untouched(
    seed: SkillSet, bundle: Path, tmp_path: Path
) -> None:
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in bundle.iterdir()}
    _answers(seed, ToolContext(data_dir=tmp_path / "data", thread_id="t", evidence_dir=bundle))
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in bundle.iterdir()}
    assert after == before
    assert DB_PASSWORD in (bundle / "incident.md").read_text()


def test_records_are_scrubbed_as_the_bundle_is_read(bundle: Path) -> None:
    loaded = open_bundle(bundle)
    held = json.dumps(
        [loaded.description, *(r.data for kind in loaded.records for r in loaded.of(kind))]
    )
    assert [name for name, secret in SECRETS.items() if secret in held] == []


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("incident.txt", f"DSN postgres://app:{DB_PASSWORD}@db:5432/shop"),
        (
            "incident.json",
            json.dumps({"summary": "down", "dsn": f"postgres://app:{DB_PASSWORD}@db"}),
        ),
    ],
)
def test_every_description_format_is_scrubbed(
    seed: SkillSet, tmp_path: Path, name: str, text: str
) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / name).write_text(text, encoding="utf-8")
    ctx = ToolContext(data_dir=tmp_path / "data", thread_id="t", evidence_dir=bundle)
    tool = next(t for t in load_tools(seed.skill, ctx) if t.name == "get_incident_description")
    answer = str(tool.invoke({}))
    assert DB_PASSWORD not in answer
    assert "[redacted:password]" in answer
