"""The shared scrubber: every credential shape is masked with its kind, ordinary text is kept."""

from __future__ import annotations

import pytest

from agent._secrets import excerpt, scrub, scrub_value

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkYW5hIn0.c2lnbmF0dXJlLXNlY3JldA"


@pytest.mark.parametrize(
    ("text", "secret", "kind"),
    [
        ("db at postgres://app:Hunter2Pa55@db.internal:5432/shop", "Hunter2Pa55", "password"),
        ("Authorization: Bearer abcdef0123456789xyz", "abcdef0123456789xyz", "bearer_token"),
        (f"cookie session={JWT}", JWT, "jwt"),
        ("token ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_abcdefghij", "github_token"),
        ("OPENAI sk-proj-abcdefghijklmnop1234567890", "sk-proj-abcdefghijklmnop", "api_key"),
        ("slack xoxb-123456789012-123456789012-abcdefghijkl", "xoxb-1234567890", "slack_token"),
        ("aws key AKIAIOSFODNN7EXAMPLE in env", "AKIAIOSFODNN7EXAMPLE", "aws_access_key"),
        (f"aws secret {AWS_SECRET} in env", AWS_SECRET, "aws_secret_key"),
        ("login failed password=CorrectHorse9 for app", "CorrectHorse9", "password"),
        ("config secret: s3cr3t-value", "s3cr3t-value", "secret"),
        ('{"api_key": "zzz-top-value"}', "zzz-top-value", "api_key"),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
            "MIIEowIBAAKCAQEA",
            "private_key",
        ),
    ],
)
def test_each_credential_shape_is_masked_with_its_kind(text: str, secret: str, kind: str) -> None:
    clean = scrub(text)
    assert secret not in clean
    assert f"[redacted:{kind}]" in clean


def test_a_url_keeps_its_user_and_host_and_loses_only_the_password() -> None:
    clean = scrub("postgres://app:Hunter2Pa55@db.internal:5432/shop")
    assert clean == "postgres://app:[redacted:password]@db.internal:5432/shop"


def test_a_private_key_cut_off_before_its_end_line_is_still_masked() -> None:
    clean = scrub("key: -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA")
    assert "b3BlbnNzaC1rZXktdjE" not in clean


@pytest.mark.parametrize(
    "text",
    [
        "payment authorised order=81723",
        "trace_id=7f3a9c status=502 duration_ms=1840",
        "commit 3f786850e387550fdab836ed7e6dc881de23001b deployed",
        "token bucket refilled, tokens=5",
        "smoke tests pass: 42 of 42",
        "bypass=true for canary",
        "author: ops changed cache.ttl_seconds",
        "2026-11-20T10:00:03Z",
    ],
)
def test_ordinary_evidence_text_is_left_alone(text: str) -> None:
    assert scrub(text) == text


def test_known_secrets_are_masked_whatever_their_shape() -> None:
    assert scrub("key is plainword123", ["plainword123"]) == "key is [redacted:secret]"


def test_mapping_values_are_masked_by_key_name_and_other_keys_kept() -> None:
    record = {"db_password": "x", "key": "cache.ttl", "value": 3, "auth": {"token": 42}}
    assert scrub_value(record) == {
        "db_password": "[redacted:password]",
        "key": "cache.ttl",
        "value": 3,
        "auth": "[redacted:token]",
    }


def test_an_excerpt_is_scrubbed_before_it_is_cut_to_one_line() -> None:
    body = "error:\n  " + "x" * 280 + " key sk-abcdefghijklmnopqrstuvwxyz"
    quoted = excerpt(body, limit=300)
    assert "\n" not in quoted
    assert "sk-abc" not in quoted  # cut first, the key's first letters would survive
    assert len(quoted) <= 301
