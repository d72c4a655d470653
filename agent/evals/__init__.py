"""Evals: run skills on scenario suites and score the transcripts against their criteria."""
