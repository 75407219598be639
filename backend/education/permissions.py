"""Function permissions of the education context (Y11, M3)."""

from accounts.permissions import ALL_STAFF, declare

VIEW_EDUCATION = declare(
    "education.view",
    "Read the education materials and which ones the patients of one's wards have read (patient management)",
    ALL_STAFF,
)
MANAGE_MATERIALS = declare(
    "education.manage_materials",
    "Write, edit and withdraw the hospital's education materials (text and video) and their minimum reading time",
    ["nurse", "hospital_admin"],
)
