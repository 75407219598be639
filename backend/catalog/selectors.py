from django.db.models import Prefetch, Q

from catalog.models import Procedure
from org.models import Ward


def procedure_list():
    """Procedures with their department and admitting wards loaded (no N+1 in lists)."""
    return Procedure.objects.select_related("department").prefetch_related(
        Prefetch("wards", queryset=Ward.objects.only("id", "uuid", "code", "name"))
    )


def procedure_search(qs, text):
    text = (text or "").strip()
    if not text:
        return qs
    return qs.filter(Q(code__icontains=text) | Q(name__icontains=text))
