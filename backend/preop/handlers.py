"""Outbox consumers of pre-operative patient management.

- `preop.icons`: every case event (whichever context appended it) goes through the hospital's icon rules;
- `preop.icon_rules_changed`: a rule was created, changed or deleted: the icons of the hospital's cases on the
  boards are rebuilt from their event history;
- `preop.patient_logged_in`: a patient logged in to the app (accounts): their active cases get
  `patient.app.logged_in` (once per case);
- `preop.booked_app_user`: a booking for a patient who already uses the app gets `patient.app.logged_in` too.
"""

from cases.handlers import is_case_event
from core.outbox import outbox_handler
from preop import services


@outbox_handler("*", name="preop.icons", applies=is_case_event)
def apply_icon_rules(message):
    services.case_icons_apply(message.payload)


@outbox_handler(services.RULES_CHANGED, name="preop.icon_rules_changed")
def rebuild_after_rule_change(message):
    services.icons_rebuild(services.hospital_board_cases(message.payload["hospital"]))


@outbox_handler("accounts.patient_account.logged_in", name="preop.patient_logged_in")
def record_patient_login(message):
    from accounts.models import PatientAccount

    account = PatientAccount.objects.select_related("patient").filter(uuid=message.payload.get("account")).first()
    if account is None or account.patient_id is None:
        return
    services.patient_app_login_record(patient=account.patient, account=account,
                                      occurred_at=message.payload.get("occurred_at"))


@outbox_handler("cases.case.booked", name="preop.booked_app_user")
def record_app_user_at_booking(message):
    from accounts.models import PatientAccount
    from cases.models import Patient

    patient = Patient.objects.filter(uuid=message.payload.get("patient")).first()
    if patient is None:
        return
    account = (
        PatientAccount.objects.filter(patient=patient, is_active=True, last_login_at__isnull=False)
        .order_by("-last_login_at").first()
    )
    if account is not None:
        services.patient_app_login_record(patient=patient, account=account)
