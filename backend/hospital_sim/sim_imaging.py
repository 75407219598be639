"""Simulated PACS images (thumbnails and key images of exam reports, with their sizes)."""

from hospital_sim.routing import routes  # noqa: F401  (routes are registered on it)
