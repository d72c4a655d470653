"""Run, pause, resume and inspect skill runs durably."""
