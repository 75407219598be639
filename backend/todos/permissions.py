"""Function permissions of the to-do context (SA7). Who sees a to-do is decided per rule (its audience
permission in the case's ward, and/or the case's surgeon); these gate the endpoints themselves."""

from accounts.permissions import ALL_STAFF, declare

VIEW_TODOS = declare(
    "todos.view",
    "See one's to-dos (work derived from the pathway's events in one's wards) and complete or dismiss them",
    ALL_STAFF,
)
MANAGE_RULES = declare(
    "todos.manage_rules",
    "Configure the hospital's to-do rules: which events open and close a to-do, for whom, its title and due time",
    ["hospital_admin"],
)
