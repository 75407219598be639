"""Outbox consumers of the forms context."""

from django.conf import settings

from core.outbox import outbox_handler


@outbox_handler("cases.case.booked", name="forms.registration_on_booking")
def assign_registration_form(message):
    """PA2: a booked patient gets the centre registration questionnaire that applies (once per case: the
    assignment key makes a redelivery a no-op)."""
    from cases.models import SurgicalCase
    from forms.services import registration_assign_on_booking

    if not getattr(settings, "FORMS_REGISTRATION_ON_BOOKING", True):
        return
    case = SurgicalCase.objects.select_related("ward__department").filter(uuid=message.payload.get("case")).first()
    if case is not None:
        registration_assign_on_booking(case=case)
