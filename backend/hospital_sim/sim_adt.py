"""Simulated HIS ADT (admission A01, transfer A02, discharge A03) as FHIR Encounter writes."""

from hospital_sim.routing import routes  # noqa: F401  (routes are registered on it)
