"""Scripted-model replies for the CLI tests, built from the seed's parsed ids."""
