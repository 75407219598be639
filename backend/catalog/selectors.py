from django.db.models import Prefetch, Q

from accounts.models import User
from catalog.models import Procedure
from org.models import Ward


def procedure_list():
    """Procedures with their department, admitting wards, admitted doctors and test package loaded (no N+1)."""
    return Procedure.objects.select_related("department").prefetch_related(
        Prefetch("wards", queryset=Ward.objects.only("id", "uuid", "code", "name")),
        Prefetch("admitted_doctors", queryset=User.objects.only("id", "uuid", "name", "employee_no", "title")),
        "test_package_items",
    )


def procedure_search(qs, text):
    text = (text or "").strip()
    if not text:
        return qs
    return qs.filter(Q(code__icontains=text) | Q(name__icontains=text))


def procedure_get_for_booking(uuid):
    """A procedure with everything a booking check reads (department, admitting wards, admitted doctors, test
    package) loaded, or None."""
    return procedure_list().filter(uuid=uuid).first()


def ward_procedure_list(ward):
    """The procedures a ward admits (Y4), by code."""
    return procedure_list().filter(ward_links__ward=ward).order_by("code")
