from accounts.permissions import ALL_STAFF, declare

VIEW_CATALOG = declare("catalog.view", "Read the procedure catalogue", ALL_STAFF)
MANAGE_CATALOG = declare(
    "catalog.manage",
    "Maintain the procedure catalogue, its admitting wards and synchronise it from the HIS",
    ["hospital_admin"],
)
