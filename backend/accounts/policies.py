"""Who may change users and permissions (Y1, Y2).

Holders of accounts.manage_users create and edit users; assigning a role is allowed when the actor holds
every permission of that role or holds accounts.manage_permissions (no privilege escalation through
roles). Granting a permission (to a role or a user) needs accounts.manage_permissions.
"""

from django.utils.translation import gettext_lazy as _

from accounts.permissions import MANAGE_PERMISSIONS, MANAGE_USERS, has_permission, permission_slugs
from core.errors import NotAllowed


def can_manage_users(actor) -> bool:
    return has_permission(actor, MANAGE_USERS.slug)


def can_manage_permissions(actor) -> bool:
    return has_permission(actor, MANAGE_PERMISSIONS.slug)


def can_assign_role(actor, role) -> bool:
    if can_manage_permissions(actor):
        return True
    held = permission_slugs(actor)
    return set(role.permissions.values_list("slug", flat=True)) <= held


def assert_can_assign_roles(actor, roles):
    refused = [r.slug for r in roles if not can_assign_role(actor, r)]
    if refused:
        raise NotAllowed(
            _("You cannot assign a role with permissions you do not hold: %(roles)s") % {"roles": ", ".join(refused)},
            code="role_escalation",
        )


def assert_can_grant(actor, slugs):
    if slugs and not can_manage_permissions(actor):
        raise NotAllowed(code="permission_denied")
