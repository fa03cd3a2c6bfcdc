"""pytest fixtures: db (see tests/conftest.py)."""
