"""Whether model data (prompts, replies, tool payloads) may be logged at all."""

from __future__ import annotations

import os


def log_model_data() -> bool:
    """Whether the operator asked for prompts and replies in logs."""
    return os.environ.get("SKILLWEAVE_LOG_MODEL_DATA") == "1"
