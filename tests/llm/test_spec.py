"""Model specs and the factory: every documented form parses, every mistake says how to fix it."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import ConfigError
from agent.llm import OpenAIChatModel, ScriptedModel, build_model, parse_spec
from agent.llm.spec import OLLAMA_URL, OPENAI_URL

KEY = {"OPENAI_API_KEY": "sk-spec-abcdefghijkl"}


def test_an_openai_spec_uses_the_default_url_and_the_key_from_the_environment() -> None:
    spec = parse_spec("openai:gpt-4.1-mini", KEY)
    assert (spec.provider, spec.model, spec.base_url) == ("openai", "gpt-4.1-mini", OPENAI_URL)
    assert spec.api_key == KEY["OPENAI_API_KEY"]


def test_openai_base_url_from_the_environment_overrides_the_default() -> None:
    spec = parse_spec("openai:m", {**KEY, "OPENAI_BASE_URL": "https://proxy.example/v1/"})
    assert spec.base_url == "https://proxy.example/v1"


def test_a_bare_model_name_means_openai() -> None:
    assert parse_spec("gpt-4.1-mini", KEY).provider == "openai"


def test_the_model_comes_from_skillweave_model_when_no_spec_is_given() -> None:
    assert parse_spec(None, {**KEY, "SKILLWEAVE_MODEL": "openai:o4"}).model == "o4"


def test_an_ollama_spec_points_at_the_local_server_without_a_key() -> None:
    spec = parse_spec("ollama:llama3.1", {})
    assert (spec.model, spec.base_url) == ("llama3.1", OLLAMA_URL)


@pytest.mark.parametrize("text", ["vllm:qwen@http://gpu:8000/v1", "qwen@http://gpu:8000/v1/"])
def test_an_explicit_url_spec_reaches_any_compatible_server(text: str) -> None:
    spec = parse_spec(text, {})
    assert (spec.provider, spec.model, spec.base_url) == (
        "compatible",
        "qwen",
        "http://gpu:8000/v1",
    )


def test_a_missing_key_explains_every_way_to_get_a_model() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_spec("openai:gpt-4.1-mini", {})
    message = str(caught.value)
    assert "OPENAI_API_KEY" in message
    assert "ollama:" in message
    assert "scripted:PATH" in message
    assert "\n" not in message


def test_no_model_at_all_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="No model configured"):
        parse_spec(None, {})


@pytest.mark.parametrize("text", ["vllm:qwen", "qwen@ftp://x", "scripted:", "record:x.json"])
def test_a_malformed_spec_is_a_config_error(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_spec(text, KEY)


def test_a_record_spec_wraps_the_inner_spec() -> None:
    spec = parse_spec("record:run.json@ollama:llama3.1", {})
    assert spec.path == "run.json"
    assert spec.inner is not None
    assert spec.inner.model == "llama3.1"


def test_the_key_never_shows_in_a_spec_repr() -> None:
    assert KEY["OPENAI_API_KEY"] not in repr(parse_spec("openai:m", KEY))


def test_build_model_makes_a_scripted_model_named_after_its_file(tmp_path: Path) -> None:
    script = tmp_path / "demo.yaml"
    script.write_text("plan:\n  - output: hello\n")
    model = build_model(f"scripted:{script}")
    assert isinstance(model, ScriptedModel)
    assert model.name == "scripted:demo.yaml"


async def test_build_model_makes_a_client_named_after_the_spec() -> None:
    model = build_model("ollama:llama3.1", env={})
    assert isinstance(model, OpenAIChatModel)
    assert model.name == "ollama:llama3.1"
    await model.aclose()
    await model.aclose()  # closing twice is harmless


def test_an_unknown_provider_is_a_usage_error_listing_the_providers() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_spec("nonsense:foo", KEY)
    message = str(caught.value)
    assert "unknown provider 'nonsense'" in message
    assert "openai, ollama, vllm, compatible, scripted, replay, record" in message


@pytest.mark.parametrize("name", ["gpt-4.1-mini", "o1", "o3-mini", "o4-mini", "chatgpt-4o-latest"])
def test_a_bare_name_that_looks_like_an_openai_model_means_openai(name: str) -> None:
    assert (parse_spec(name, KEY).provider, parse_spec(name, KEY).model) == ("openai", name)


@pytest.mark.parametrize("name", ["llama3.1", "qwen2.5-7b-instruct", "mistral"])
def test_a_bare_name_that_is_no_openai_model_says_how_to_name_it(name: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_spec(name, KEY)
    assert f"'openai:{name}'" in str(caught.value)
    assert f"'{name}@URL'" in str(caught.value)


def test_a_model_name_with_a_colon_still_reaches_its_server_url() -> None:
    spec = parse_spec("llama3.1:8b@http://gpu:8000/v1", {})
    assert (spec.provider, spec.model, spec.base_url) == (
        "compatible",
        "llama3.1:8b",
        "http://gpu:8000/v1",
    )


@pytest.mark.parametrize(
    "text",
    [
        "openai:gpt-4.1-mini?structured=tool",
        "ollama:llama3.1?structured=tool",
        "vllm:qwen@http://gpu:8000/v1?structured=tool",
        "qwen@http://gpu:8000/v1?structured=tool",
    ],
)
def test_every_server_form_takes_a_structured_mode_option(text: str) -> None:
    spec = parse_spec(text, KEY)
    assert spec.structured == "tool"
    assert "?" not in spec.base_url + spec.model


def test_options_combine_and_max_tokens_is_a_number() -> None:
    spec = parse_spec("qwen@http://gpu:8000/v1?structured=json_object&max_tokens=1024", {})
    assert (spec.structured, spec.max_tokens, spec.base_url) == (
        "json_object",
        1024,
        "http://gpu:8000/v1",
    )


def test_without_options_nothing_is_forced() -> None:
    spec = parse_spec("ollama:llama3.1", {})
    assert (spec.structured, spec.max_tokens) == (None, None)


def test_a_record_spec_keeps_the_options_of_its_inner_spec() -> None:
    spec = parse_spec("record:run.json@ollama:llama3.1?structured=prompt", {})
    assert spec.inner is not None
    assert spec.inner.structured == "prompt"


def test_an_unknown_option_is_a_config_error_naming_the_options() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_spec("ollama:llama3.1?temperature=0", {})
    message = str(caught.value)
    assert "unknown option 'temperature'" in message
    assert "structured: json_schema, json_object, tool, prompt" in message
    assert "max_tokens" in message


@pytest.mark.parametrize(
    ("option", "allowed"),
    [
        ("structured=xml", "json_schema, json_object, tool, prompt"),
        ("max_tokens=lots", "a positive integer"),
        ("max_tokens=0", "a positive integer"),
    ],
)
def test_a_bad_option_value_is_a_config_error_naming_the_allowed_ones(
    option: str, allowed: str
) -> None:
    with pytest.raises(ConfigError, match=allowed):
        parse_spec(f"ollama:llama3.1?{option}", {})


def test_options_that_are_not_key_value_pairs_are_a_config_error() -> None:
    with pytest.raises(ConfigError, match="key=value"):
        parse_spec("ollama:llama3.1?structured", {})
