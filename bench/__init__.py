"""Benchmarks (not timed tests): `make bench` prints figures beside the targets of DESIGN.md."""
