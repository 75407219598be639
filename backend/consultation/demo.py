"""Demo wound consultations and conversations on the demo hospital's operated cases, through the services (the
real photo pipeline, case events, audit and pushes).

Idempotent: a case that already has a wound consultation or a conversation is left alone. The photos are
synthetic (a skin-coloured picture with a sutured incision), never real patients' pictures.
"""

from io import BytesIO

from django.utils import timezone

from cases.models import CaseState, SurgicalCase
from consultation import services
from consultation.models import Conversation, WoundAdvice, WoundConsultation
from core.errors import DomainError

DEMO_CASES = 6
QUESTIONS = [
    ("伤口周围有点发红，摸着有点热，需要来医院吗？", True),
    ("今天换药时发现纱布上有少量淡黄色渗液，正常吗？", False),
    ("伤口不红不肿，就是有点痒，可以洗澡了吗？", True),
]
ANSWERS = [
    ("切口边缘轻度发红，范围局限，属正常愈合反应。请保持干燥，每日碘伏消毒；如发热或红肿扩大，请及时来院。",
     WoundAdvice.HOME_CARE),
    ("渗液量偏多，建议明天上午来日间手术中心门诊换药并查看切口。", WoundAdvice.CLINIC_VISIT),
]
CHAT = [
    ("patient", "医生您好，出院后第二天还需要吃止痛药吗？"),
    ("staff", "如果疼痛评分在3分以下可以不吃；超过4分按出院医嘱服用布洛芬，饭后服用。"),
    ("patient", "好的，谢谢！复查需要空腹吗？"),
]


def _photo(seed: int) -> bytes:
    from PIL import Image, ImageDraw, ImageFilter

    image = Image.new("RGB", (960, 720), (228, 186, 160))
    draw = ImageDraw.Draw(image)
    redness = 30 + (seed % 3) * 25
    draw.ellipse([250, 280, 710, 440], fill=(228, 186 - redness, 160 - redness))
    draw.line([(300, 360), (660, 360)], fill=(120, 40, 40), width=6)  # the incision
    for x in range(320, 660, 40):  # sutures
        draw.line([(x, 340), (x + 8, 380)], fill=(40, 40, 60), width=3)
    image = image.filter(ImageFilter.GaussianBlur(1.2))
    out = BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def _account(patient):
    from accounts.models import PatientAccount

    account = PatientAccount.objects.filter(patient=patient, is_active=True).order_by("pk").first()
    if account is None:
        now = timezone.now()
        account = PatientAccount.objects.create(phone=patient.phone or "", phone_verified_at=now, patient=patient,
                                                bound_at=now)
    return account


def _care_team_member(case):
    from accounts.models import User
    from accounts.permissions import has_permission
    from consultation.permissions import CHAT
    from org.scoping import ward_scope_for

    for user in User.objects.filter(roles__slug__in=["nurse", "followup_nurse"], is_active=True).order_by("pk"):
        if ward_scope_for(user).allows_ward(case.ward_id) and has_permission(user, CHAT.slug):
            return user
    return None


def seed_consultation(hospital, *, write=print):
    cases = list(SurgicalCase.objects.filter(
        ward__department__hospital=hospital, state__in=[CaseState.DISCHARGED, CaseState.FOLLOW_UP],
    ).select_related("patient", "ward").order_by("-discharged_at", "pk")[:DEMO_CASES])
    wounds = chats = 0
    for index, case in enumerate(cases):
        staff = _care_team_member(case)
        account = _account(case.patient)
        try:
            if not WoundConsultation.objects.filter(case=case).exists():
                question, two = QUESTIONS[index % len(QUESTIONS)]
                photos = [_photo(index), _photo(index + 1)] if two else [_photo(index)]
                consultation = services.wound_consultation_submit(actor=account, case=case, photos=photos,
                                                                  description=question)
                wounds += 1
                if staff is not None and index % 3 != 2:  # a third wait for an answer (the to-do list shows them)
                    answer, advice = ANSWERS[index % len(ANSWERS)]
                    services.wound_consultation_answer(actor=staff, consultation=consultation, answer=answer,
                                                       advice=advice)
            if staff is not None and not Conversation.objects.filter(case=case).exists():
                for sender, body in CHAT[: 2 + index % 2]:
                    services.message_send(actor=account if sender == "patient" else staff, case=case, body=body)
                if index % 2 == 0:
                    services.conversation_mark_read(actor=account, case=case)
                chats += 1
        except DomainError as exc:
            write(f"  consultation: case {case.uuid} skipped ({exc.code})")
    write(f"  consultation: {wounds} wound consultation(s), {chats} conversation(s)")
