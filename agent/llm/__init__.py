"""The model layer: the one place that talks to OpenAI-compatible servers (and stands in for them)."""
