"""pytest fixtures: site (see tests/conftest.py)."""
