"""Benchmarks: separate commands that print their figures, never part of the test run."""
