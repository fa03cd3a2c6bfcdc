"""pytest fixtures: golden (see tests/conftest.py)."""
