"""Shared pytest set-up: each concern's fixtures live in tests/plugins/<concern>.py."""

pytest_plugins: list[str] = []
