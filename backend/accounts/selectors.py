"""Reads of the accounts context."""

from django.db.models import Prefetch, Q

from accounts.models import FunctionPermission, Role, User
from accounts.permissions import permission_slugs
from core.identity import normalize_phone
from org.scoping import ward_scope_for


def user_list(*, q="", department=None, ward=None, role=None, is_active=None):
    qs = User.objects.select_related("department").prefetch_related(
        "wards", Prefetch("roles", queryset=Role.objects.only("slug", "name")), "extra_permissions"
    )
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(phone__contains=normalize_phone(q)) | Q(employee_no=q))
    if department:
        qs = qs.filter(department__uuid=department)
    if ward:
        qs = qs.filter(wards__uuid=ward)
    if role:
        qs = qs.filter(roles__slug=role)
    if is_active is not None:
        qs = qs.filter(is_active=is_active)
    return qs.distinct().order_by("name", "id")


def user_get(*, uuid):
    return user_list().filter(uuid=uuid).first()


def permission_list():
    return FunctionPermission.objects.all().order_by("slug")


def role_list():
    return Role.objects.prefetch_related("permissions").order_by("slug")


def staff_profile(user):
    """What /auth/me/ shows: the principal, roles, permission slugs, and the wards the scoping grants."""
    from org.models import Ward

    scope = ward_scope_for(user)
    wards = Ward.objects.all() if scope.all_wards else Ward.objects.filter(id__in=scope.ward_ids)
    return {
        "user": user,
        "roles": list(user.roles.values_list("slug", flat=True)),
        "permissions": sorted(permission_slugs(user)),
        "all_wards": scope.all_wards,
        "wards": list(wards.select_related("department").order_by("code")),
    }
