"""Shared pytest set-up: each concern's fixtures live in tests/plugins/<concern>.py."""

pytest_plugins = [
    "pytester",
    "tests.plugins.golden",
    "tests.plugins.db",
    "tests.plugins.site",
    "tests.plugins.browser",
]
