"""Model specs: one string (``--model`` or ``SKILLWEAVE_MODEL``) names any model we can talk to.

Forms:

- ``openai:gpt-4.1-mini`` (or a bare OpenAI model name: ``gpt-…``, ``o1``/``o3``/``o4…``,
  ``chatgpt-…``): OpenAI, or ``OPENAI_BASE_URL``; needs ``OPENAI_API_KEY``.
- ``ollama:llama3.1``: a local Ollama at ``http://localhost:11434/v1``, no key.
- ``vllm:NAME@http://host:8000/v1`` or ``NAME@URL``: any OpenAI-compatible server;
  ``OPENAI_API_KEY`` is sent when set.
- ``scripted:PATH``: replies from a YAML/JSON script (:mod:`agent.llm.scripted`).
- ``replay:PATH``: serve a recorded cassette (:mod:`agent.llm.replay`).
- ``record:PATH@<spec>``: run ``<spec>`` for real and record every exchange to PATH.

Server specs take options after ``?``: ``structured=`` forces a structured-output mode
(``json_schema``, ``json_object``, ``tool`` or ``prompt``; by default the strongest mode
the server takes is found and remembered) and ``max_tokens=`` overrides every
request's reply bound, e.g. ``qwen@http://gpu:8000/v1?structured=json_object&max_tokens=1024``;
``context=`` is the model's context window in tokens: every request (a tool
conversation grows each round) is fitted into it by eliding the oldest tool results.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal, cast, get_args
from urllib.parse import parse_qsl

import httpx

from agent.errors import ConfigError
from agent.llm._openai import DEFAULT_LIMITS, DEFAULT_TIMEOUT, OpenAIChatModel
from agent.llm._retry import RetryPolicy
from agent.llm.base import ChatModel, StructuredMode
from agent.llm.replay import RecordingTransport, ReplayTransport
from agent.llm.scripted import ScriptedModel

OPENAI_URL = "https://api.openai.com/v1"
OLLAMA_URL = "http://localhost:11434/v1"

Provider = Literal["openai", "ollama", "compatible", "scripted", "replay", "record"]
PROVIDERS = ("openai", "ollama", "vllm", "compatible", "scripted", "replay", "record")
"""The prefixes a spec may start with (``vllm`` is a compatible server by another name)."""
OPENAI_NAMES = ("gpt-", "o1", "o3", "o4", "chatgpt-")
"""How a bare model name must start to be taken for an OpenAI model."""
OPTIONS = {
    "structured": ", ".join(get_args(StructuredMode)),
    "max_tokens": "a positive integer",
    "context": "a positive integer (tokens)",
}
"""The options a server spec takes after ``?``, each with the values it allows (for messages)."""

_HOW_TO = (
    "Set OPENAI_API_KEY (and OPENAI_BASE_URL for another OpenAI-compatible server), "
    "or pick a model with --model / SKILLWEAVE_MODEL: 'openai:gpt-4.1-mini', "
    "'ollama:llama3.1' for a local Ollama, 'NAME@http://host:8000/v1' for any "
    "OpenAI-compatible server, or 'scripted:PATH' to run the offline demo without a model."
)


@dataclass(frozen=True)
class ModelSpec:
    """A parsed model spec plus the settings it needs; the key is never shown in a repr."""

    provider: Provider
    model: str = ""
    base_url: str = ""
    api_key: str = field(default="", repr=False)
    path: str = ""
    inner: ModelSpec | None = None
    structured: StructuredMode | None = None
    max_tokens: int | None = None
    context: int | None = None

    @property
    def label(self) -> str:
        """How transcripts and logs name this model (never includes the key)."""
        if self.provider in ("scripted", "replay"):
            return f"{self.provider}:{os.path.basename(self.path)}"
        if self.provider == "record" and self.inner is not None:
            return self.inner.label
        return f"{self.provider}:{self.model}"


def parse_spec(spec: str | None, env: Mapping[str, str] | None = None) -> ModelSpec:
    """Parse a spec (or ``SKILLWEAVE_MODEL``); a mistake says how to fix it."""
    env = os.environ if env is None else env
    text = (spec or env.get("SKILLWEAVE_MODEL", "")).strip()
    if not text:
        raise ConfigError(f"No model configured. {_HOW_TO}")
    prefix, sep, rest = text.partition(":")
    if sep and prefix in ("scripted", "replay"):
        return _file_spec(prefix, rest, text)
    if sep and prefix == "record":
        path, at, inner = rest.partition("@")
        if not path or not at or not inner:
            raise ConfigError(f"model spec {text!r}: use 'record:PATH@<model spec>'. {_HOW_TO}")
        return ModelSpec("record", path=path, inner=parse_spec(inner, env))
    if sep and prefix in ("openai", "ollama", "vllm", "compatible") and not rest.startswith("//"):
        return _server_spec(prefix, rest, text, env)
    if "@http://" in text or "@https://" in text:  # NAME@URL; Ollama names hold colons too
        return _server_spec("", text, text, env)
    if sep:
        raise ConfigError(
            f"model spec {text!r}: unknown provider {prefix!r}; use one of "
            f"{', '.join(PROVIDERS)} (e.g. 'openai:NAME'), or 'NAME@URL' for any "
            "OpenAI-compatible server."
        )
    name = text.partition("?")[0]
    if not name.startswith(OPENAI_NAMES):
        raise ConfigError(
            f"model spec {text!r} does not look like an OpenAI model name; write "
            f"'openai:{name}' if it is one, or '{name}@URL' for the server that serves it. "
            f"{_HOW_TO}"
        )
    return _server_spec("", text, text, env)


def _file_spec(prefix: str, path: str, text: str) -> ModelSpec:
    if not path:
        raise ConfigError(f"model spec {text!r} names no file; use '{prefix}:PATH'.")
    return ModelSpec("scripted" if prefix == "scripted" else "replay", path=path)


@dataclass(frozen=True)
class _Options:
    structured: StructuredMode | None = None
    max_tokens: int | None = None
    context: int | None = None


def _options(query: str, text: str) -> _Options:
    """The ``?key=value&...`` options of a server spec, checked against :data:`OPTIONS`."""
    allowed = "; ".join(f"{k}: {v}" for k, v in OPTIONS.items())
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise ConfigError(
            f"model spec {text!r}: options must read '?key=value&key=value' ({allowed})"
        ) from None
    structured: StructuredMode | None = None
    numbers: dict[str, int] = {}
    for key, value in pairs:
        if key == "structured" and value in get_args(StructuredMode):
            structured = cast(StructuredMode, value)
        elif key in ("max_tokens", "context") and value.isdigit() and int(value) > 0:
            numbers[key] = int(value)
        elif key in OPTIONS:
            raise ConfigError(
                f"model spec {text!r}: {key}={value!r} is not allowed; {key} takes {OPTIONS[key]}"
            )
        else:
            raise ConfigError(
                f"model spec {text!r}: unknown option {key!r}; the options are {allowed}"
            )
    return _Options(structured, numbers.get("max_tokens"), numbers.get("context"))


def _query(spec: ModelSpec) -> str:
    """A spec's options as the query text :func:`_options` reads back (kept in cassettes)."""
    pairs = [
        ("structured", spec.structured),
        ("max_tokens", spec.max_tokens),
        ("context", spec.context),
    ]
    return "&".join(f"{k}={v}" for k, v in pairs if v is not None)


def _server_spec(prefix: str, rest: str, text: str, env: Mapping[str, str]) -> ModelSpec:
    rest, ask, query = rest.partition("?")
    options = _options(query, text) if ask else _Options()
    spec = _server_base(prefix, rest, text, env)
    return replace(
        spec, structured=options.structured, max_tokens=options.max_tokens, context=options.context
    )


def _server_base(prefix: str, rest: str, text: str, env: Mapping[str, str]) -> ModelSpec:
    name, at, url = rest.partition("@")
    if not name or (at and not url.startswith(("http://", "https://"))):
        raise ConfigError(f"model spec {text!r} is not understood. {_HOW_TO}")
    key = env.get("OPENAI_API_KEY", "")
    if at:
        return ModelSpec("compatible", name, url.rstrip("/"), key or "not-needed")
    if prefix == "vllm":
        raise ConfigError(
            f"model spec {text!r} needs the server URL: 'vllm:NAME@http://host:8000/v1'."
        )
    if prefix == "ollama":
        return ModelSpec("ollama", name, env.get("OLLAMA_BASE_URL", OLLAMA_URL), "ollama")
    if not key:
        raise ConfigError(
            f"Model {name!r} needs an API key but OPENAI_API_KEY is not set. {_HOW_TO}"
        )
    return ModelSpec("openai", name, env.get("OPENAI_BASE_URL", OPENAI_URL).rstrip("/"), key)


def build_model(
    spec: str | None = None,
    *,
    http_client: httpx.AsyncClient | None = None,
    retry: RetryPolicy | None = None,
    env: Mapping[str, str] | None = None,
) -> ChatModel:
    """The single factory for models: parse ``spec`` (or the environment) and build the client.

    ``http_client`` replaces the default pooled client (tests pass one routed through respx).
    """
    parsed = parse_spec(spec, env)
    if parsed.provider == "scripted":
        return ScriptedModel.from_file(parsed.path)
    if parsed.provider == "replay":
        transport = ReplayTransport(parsed.path)
        meta = transport.cassette
        # a recording made with spec options must be replayed with the same request shapes
        options = _options(str(meta.get("options", "")), parsed.path)
        return OpenAIChatModel(
            model=str(meta.get("model", "")),
            base_url=str(meta.get("base_url", OPENAI_URL)),
            api_key="replayed",
            name=parsed.label,
            http_client=httpx.AsyncClient(transport=transport),
            retry=retry,
            offline=True,
            structured_mode=options.structured,
            max_tokens=options.max_tokens,
            context=options.context,
        )
    if parsed.provider == "record":
        assert parsed.inner is not None  # parse_spec always sets it for record specs
        return _recording(parsed.inner, parsed.path, http_client, retry)
    return OpenAIChatModel(
        model=parsed.model,
        base_url=parsed.base_url,
        api_key=parsed.api_key,
        name=parsed.label,
        http_client=http_client,
        retry=retry,
        structured_mode=parsed.structured,
        max_tokens=parsed.max_tokens,
        context=parsed.context,
    )


def _recording(
    inner: ModelSpec, path: str, http_client: httpx.AsyncClient | None, retry: RetryPolicy | None
) -> ChatModel:
    if inner.provider not in ("openai", "ollama", "compatible"):
        raise ConfigError(f"record:{path}@... needs a real server model, not {inner.label!r}")
    # record below whatever transport the caller gave us (respx in tests), else a real one
    base = http_client._transport if http_client is not None else httpx.AsyncHTTPTransport()
    transport = RecordingTransport(
        base,
        path,
        meta={"model": inner.model, "base_url": inner.base_url, "options": _query(inner)},
        secrets=(inner.api_key,),
    )
    client = httpx.AsyncClient(transport=transport, timeout=DEFAULT_TIMEOUT, limits=DEFAULT_LIMITS)
    return OpenAIChatModel(
        model=inner.model,
        base_url=inner.base_url,
        api_key=inner.api_key,
        name=inner.label,
        http_client=client,
        retry=retry,
        structured_mode=inner.structured,
        max_tokens=inner.max_tokens,
        context=inner.context,
    )
