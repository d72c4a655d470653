"""Keep prompts and keys out of third-party logs, whatever the SDK version logs at DEBUG.

The openai SDK, httpx and httpcore log request options, bodies or headers at DEBUG
in some versions. A filter on their loggers drops their DEBUG records unless
``SKILLWEAVE_LOG_MODEL_DATA=1``, and scrubs keys from every record it lets
through, flag or no flag. Logger filters only see records created on that very
logger (not ones propagated from children), so the filter goes on every
existing logger under those names each time a model is built.
"""

from __future__ import annotations

import logging
import os

from agent._secrets import scrub

GUARDED = ("openai", "httpx", "httpx2", "httpcore", "httpcore2", "agent.llm")
"""Logger name prefixes whose records may carry model data or keys."""

_MIN_SECRET = 8  # shorter "keys" ("ollama", "none") are placeholders, and too common to replace


def log_model_data() -> bool:
    """Whether the operator asked for prompts and replies in logs."""
    return os.environ.get("SKILLWEAVE_LOG_MODEL_DATA") == "1"


class ModelDataFilter(logging.Filter):
    """Drops third-party DEBUG records (request payloads) and scrubs keys from the rest."""

    def __init__(self) -> None:
        super().__init__("skillweave-model-data")
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        """False drops the record; a kept record's text is scrubbed of keys in place."""
        if (
            record.levelno < logging.INFO
            and not record.name.startswith("agent.")
            and not log_model_data()
        ):
            return False
        try:
            text = record.getMessage()
        except Exception:  # a malformed record is the logging module's problem, not ours
            return True
        clean = scrub(text, sorted(self.secrets, key=len, reverse=True))
        if clean != text:
            record.msg, record.args = clean, None
        return True


_FILTER = ModelDataFilter()
_GUARDED_AT = [-1]
"""How many loggers existed at the last pass: loggers are only ever added, so while the
count stands no logger is new, and a model call skips the walk over all of them."""


def guard_logging(secret: str = "") -> None:
    """Attach the filter to every guarded logger now known; remember ``secret`` to scrub."""
    if len(secret) >= _MIN_SECRET:
        _FILTER.secrets.add(secret)
    known = len(logging.Logger.manager.loggerDict)
    if known == _GUARDED_AT[0]:
        return
    _GUARDED_AT[0] = known
    names = [
        name
        for name in list(logging.Logger.manager.loggerDict)
        if any(name == p or name.startswith(p + ".") for p in GUARDED)
    ]
    for name in {*GUARDED, *names}:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
