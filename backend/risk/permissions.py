"""Function permissions of the risk app (A1, A6, A7)."""

from accounts.permissions import ALL_STAFF, declare

VIEW_MODELS = declare(
    "risk.view_models",
    "Read the risk model catalogue, the knowledge base and the procedure risk profiles",
    ALL_STAFF,
)
EVALUATE = declare(
    "risk.evaluate", "Run the risk models for a patient's data (risk calculator)", ["anaesthetist", "doctor"]
)
MANAGE_KNOWLEDGE_BASE = declare(
    "risk.manage_knowledge_base",
    "Edit, publish and retire knowledge-base versions (plans per event and level, cut-offs, screening rules)",
    ["hospital_admin"],
)
MANAGE_PROCEDURE_PROFILES = declare(
    "risk.manage_procedure_profiles",
    "Edit how catalogue procedures enter the risk models (procedure risk profiles)",
    ["hospital_admin"],
)
