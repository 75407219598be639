"""Who may change users and permissions (Y1, Y2).

Holders of accounts.manage_users create and edit users; assigning a role is allowed when the actor holds
every permission of that role or holds accounts.manage_permissions (no privilege escalation through
roles). Granting a permission (to a role or a user) needs accounts.manage_permissions. A user manager may
change only accounts holding no permission the manager lacks (and never a superuser unless one): otherwise
re-pointing an administrator's phone to one's own would log one in as that administrator by SMS code.
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


def can_manage_user(actor, target) -> bool:
    if target.is_superuser and not actor.is_superuser:
        return False
    if target.pk == actor.pk or can_manage_permissions(actor):
        return True
    return permission_slugs(target) <= permission_slugs(actor)


def assert_can_manage_user(actor, target):
    if not can_manage_user(actor, target):
        raise NotAllowed(
            _("You cannot change an account that holds permissions you do not hold."), code="user_escalation"
        )


def assert_can_grant(actor, slugs):
    if slugs and not can_manage_permissions(actor):
        raise NotAllowed(code="permission_denied")
