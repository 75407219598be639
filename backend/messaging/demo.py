"""Demo messaging for the demo hospital: the hospital's own version of the D-1 reminder (with a second text
version, W3), push devices for the ward staff (the simulator's push recorder plays FCM), and care messages to the
patients of the coming week's bookings through the real plans (delivered to the simulator's WeChat / SMS
recorders by the outbox). Idempotent: plans and devices are reused, a message is made once per case and plan."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cases.models import CaseState, SurgicalCase
from messaging.models import Message, MessagePlan, RecipientKind
from messaging.services import device_register, plan_create, plan_fire, template_create, template_current

EVE_TEXT = ("{patient_name}您好，您将于明日{surgery_session}在{ward}行{procedure}。请术前8小时禁食、2小时禁饮，"
            "携带身份证、医保卡和既往检查资料，于7:30前到{ward_location}报到；如需改期请致电{ward_phone}。")


def seed_messaging(hospital, *, write=print, limit=20):
    plan = MessagePlan.objects.filter(hospital=hospital, key="surgery_eve_reminder", retired_at__isnull=True).first()
    if plan is None:
        plan = plan_create(actor=None, hospital=hospital, key="surgery_eve_reminder", name="术前一日提醒（本院）",
                           trigger_kind="offset", anchor="surgery", offset_minutes=-16 * 60, window_minutes=360,
                           filters=[{"name": "case_state_in",
                                     "params": {"states": ["booked", "application_sent", "scheduled"]}}],
                           audiences=["patient"], patient_channels=["wechat", "sms", "voice"],
                           description="本院版本：增加报到时间与改期电话")
    if template_current(plan) is None or template_current(plan).patient_body != EVE_TEXT:
        template_create(actor=None, plan=plan, patient_title="明日手术提醒", patient_body=EVE_TEXT,
                        note="增加报到时间与改期电话", voice_scenario="surgery_eve_reminder")

    User = get_user_model()
    staff = User.objects.filter(is_active=True, is_virtual=False, department__hospital=hospital,
                                roles__slug__in=["doctor", "nurse"]).distinct()
    for user in staff:
        device_register(user=user, token=f"demo-fcm-{user.employee_no or user.pk}", platform="android",
                        app_version="demo")

    education = MessagePlan.objects.get(hospital__isnull=True, key="education_reminder")
    today = timezone.localdate()
    cases = (SurgicalCase.objects.filter(ward__department__hospital=hospital, planned_date__gte=today,
                                         planned_date__lte=today + timedelta(days=7),
                                         state__in=[CaseState.BOOKED, CaseState.APPLICATION_SENT])
             .filter(~Q(messages__plan_key="education_reminder"))
             .select_related("patient", "ward", "ward__department__hospital", "surgeon", "procedure")
             .order_by("planned_date", "id")[:limit])
    made = 0
    for case in cases:
        with transaction.atomic():
            made += len(plan_fire(plan=education, case=case, trigger_ref=f"demo:{case.planned_date.isoformat()}"))
    read = Message.objects.filter(patient__cases__ward__department__hospital=hospital,
                                  recipient_kind=RecipientKind.PATIENT, read_at__isnull=True).order_by("id")[:5]
    Message.objects.filter(pk__in=[m.pk for m in read]).update(read_at=timezone.now())
    write(f"messaging: hospital D-1 reminder v{template_current(plan).version}, {staff.count()} staff devices, "
          f"{made} education reminders")
