"""Benchmarks (not tests): numbers for the README and closing notes, measured on this machine."""
