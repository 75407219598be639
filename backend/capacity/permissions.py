from accounts.permissions import ALL_STAFF, declare

MANAGE_CAPACITY = declare(
    "capacity.manage",
    "Maintain resources, department quotas and date exceptions (weekly templates, generation, copies)",
    ["hospital_admin"],
)
VIEW_CAPACITY = declare("capacity.view", "Read resources, quotas and the booking timetable", ALL_STAFF)
