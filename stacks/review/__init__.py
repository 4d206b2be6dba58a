"""Reviewing a change: the CI gate (check) and the plan diff."""
