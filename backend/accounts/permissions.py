"""Function permissions (Y2), declared in code per context and synced to the database.

Each app lists its permissions in its own `permissions.py` with `declare(...)`; `sync_permissions()`
(run after migrate) writes them and seeds each role's defaults once. Administrators then change role
grants and per-user extra grants through the API; checks read the database, not this registry.
"""

from dataclasses import dataclass

from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission


@dataclass(frozen=True)
class Perm:
    slug: str
    description: str
    default_roles: tuple[str, ...] = ()

    @property
    def context(self):
        return self.slug.split(".", 1)[0]


REGISTRY: dict[str, Perm] = {}


def declare(slug, description, default_roles=()):
    perm = Perm(slug, description, tuple(default_roles))
    if slug in REGISTRY and REGISTRY[slug] != perm:
        raise ValueError(f"permission {slug} declared twice with different definitions")
    REGISTRY[slug] = perm
    return perm


def discover():
    autodiscover_modules("permissions")
    return REGISTRY


ALL_STAFF = ("doctor", "nurse", "anaesthetist", "followup_nurse", "hospital_admin", "quality_manager")

# Cross-cutting permissions owned by accounts itself.
VIEW_ALL_WARDS = declare(
    "org.view_all_wards", "See patients of every ward (administrators, quality control)", ["hospital_admin", "quality_manager"]
)
MANAGE_USERS = declare("accounts.manage_users", "Create, enable and disable users; assign roles", ["hospital_admin"])
MANAGE_PERMISSIONS = declare(
    "accounts.manage_permissions", "Change role and per-user function permissions", ["hospital_admin"]
)


def sync_permissions(*, seed_role_defaults=True):
    """Write declared permissions and roles; grant defaults to a role only when the permission is new."""
    from accounts.models import FunctionPermission, Role, RoleSlug

    discover()
    roles = {}
    for slug, label in RoleSlug.choices:
        roles[slug], _ = Role.objects.get_or_create(slug=slug, defaults={"name": str(label)})
    for perm in REGISTRY.values():
        obj, created = FunctionPermission.objects.update_or_create(
            slug=perm.slug, defaults={"context": perm.context, "description": perm.description}
        )
        if created and seed_role_defaults:
            for role_slug in perm.default_roles:
                roles[role_slug].permissions.add(obj)


def permission_slugs(principal) -> frozenset[str]:
    """Every function permission the principal holds, cached on the object for the request."""
    if principal is None or not getattr(principal, "is_authenticated", False):
        return frozenset()
    if getattr(principal, "is_patient", False):
        return frozenset()
    cached = getattr(principal, "_perm_slug_cache", None)
    if cached is not None:
        return cached
    from accounts.models import FunctionPermission

    if principal.is_superuser:
        slugs = frozenset(FunctionPermission.objects.values_list("slug", flat=True)) | frozenset(REGISTRY)
    else:
        via_roles = FunctionPermission.objects.filter(roles__users=principal).values_list("slug", flat=True)
        direct = principal.extra_permissions.values_list("slug", flat=True)
        slugs = frozenset(via_roles) | frozenset(direct)
    principal._perm_slug_cache = slugs
    return slugs


def has_permission(principal, slug) -> bool:
    if principal is not None and getattr(principal, "is_active", False) and getattr(principal, "is_superuser", False):
        return True
    return slug in permission_slugs(principal)


def requires(*slugs):
    """DRF permission class: a staff principal holding every one of `slugs`."""

    class _Requires(BasePermission):
        required = slugs

        def has_permission(self, request, view):
            user = request.user
            if user is None or not user.is_authenticated or getattr(user, "is_patient", False):
                return False
            return all(has_permission(user, s) for s in slugs)

    _Requires.__name__ = "Requires_" + "_".join(s.replace(".", "_") for s in slugs)
    return _Requires


class IsStaff(BasePermission):
    """An authenticated, enabled staff principal (never a patient token). The default for staff endpoints."""

    def has_permission(self, request, view):
        user = request.user
        return bool(user is not None and user.is_authenticated and not getattr(user, "is_patient", False))


class IsPatient(BasePermission):
    """An authenticated patient principal (patient token). Staff tokens are refused."""

    def has_permission(self, request, view):
        user = request.user
        return bool(user is not None and user.is_authenticated and getattr(user, "is_patient", False))


class SecondFactor(BasePermission):
    """The token came from the admin-web login: password AND SMS code (MLPS 身份鉴别 d).

    Switched off only by ADMIN_REQUIRE_SECOND_FACTOR = False.
    """

    message = _("This action requires logging in with password and SMS code (admin login).")
    code = "second_factor_required"

    def has_permission(self, request, view):
        from accounts.conf import conf

        if not conf("ADMIN_REQUIRE_SECOND_FACTOR"):
            return True
        token = request.auth
        amr = set(token.get("amr", []) if token is not None and hasattr(token, "get") else [])
        return {"pwd", "otp"} <= amr
