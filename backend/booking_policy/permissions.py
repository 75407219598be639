"""Function permissions of the booking policy (B3, B5, Y12)."""

from accounts.permissions import ALL_STAFF, declare

VIEW_POLICY = declare(
    "booking_policy.view", "Read admission rules, booking-mode grants and their change history", ALL_STAFF
)
MANAGE_POLICY = declare(
    "booking_policy.manage", "Edit admission rules and grant or revoke booking modes", ["hospital_admin"]
)
BOOK_ON_BEHALF = declare(
    "booking_policy.book_on_behalf",
    "Book for surgeons of one's wards (day-surgery centre booking staff)",
    ["nurse", "hospital_admin"],
)
ASSIGN_SURGEON = declare(
    "booking_policy.assign_surgeon",
    "Name the real surgeon of a booking made under a virtual surgeon",
    ["nurse", "doctor"],
)
