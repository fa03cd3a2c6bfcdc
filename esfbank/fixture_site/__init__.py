"""The fixture copy of esf.se and its loopback server (see server.py for the API)."""

from esfbank.fixture_site import faults
from esfbank.fixture_site.manifest import Manifest, Page
from esfbank.fixture_site.server import DEFAULT_ROOT, FixtureSite, HitCounter

__all__ = ["DEFAULT_ROOT", "FixtureSite", "HitCounter", "Manifest", "Page", "faults"]
