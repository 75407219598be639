"""Function permissions of the booking flow. Drafts, confirmation and the pool use the case permissions
(cases.create / cases.book / cases.view); the pool statistics are a management view of their own."""

from accounts.permissions import declare

VIEW_POOL_STATS = declare(
    "booking.view_pool_stats",
    "See pending booking pool statistics (lost-patient monitoring) of one's wards",
    ["doctor", "nurse", "hospital_admin", "quality_manager"],
)
