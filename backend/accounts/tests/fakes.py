"""In-process stand-ins for the SMS, HIS and WeChat ports (used through integrations.registry.override_port)."""

import itertools
import re

from integrations.ports.his import HisPatient, HisStaffMember, Identifier
from integrations.ports.sms import SmsResult

_ids = itertools.count(1)


class SmsRecorder:
    """Records what was 'sent'; `code_for(phone)` reads the last code as a test would read a real phone."""

    def __init__(self, accept=True):
        self.sent = []
        self.accept = accept

    def send(self, *, phone, template, params, idempotency_key):
        self.sent.append({"phone": phone, "template": template, "params": dict(params), "key": idempotency_key})
        return SmsResult(message_id=f"sms-{next(_ids)}", accepted=self.accept, error="" if self.accept else "down")

    def to(self, phone):
        return [m for m in self.sent if m["phone"] == phone]

    def code_for(self, phone):
        messages = self.to(phone)
        assert messages, f"no SMS was sent to {phone}"
        code = messages[-1]["params"]["code"]
        assert re.fullmatch(r"\d{6}", code)
        return code


class FakeHis:
    def __init__(self):
        self.staff: list[HisStaffMember] = []
        self.patients: list[HisPatient] = []

    def add_staff(self, **kw):
        member = HisStaffMember(**{"employee_no": f"E{next(_ids):05d}", "title": "", **kw})
        self.staff.append(member)
        return member

    def add_patient(self, **kw):
        n = next(_ids)
        defaults = {"reg_no": f"R{n:08d}", "sex": "M", "birth_date": None, "address": "",
                    "identifiers": (Identifier("outpatient_no", f"MZ{n:06d}"),)}
        patient = HisPatient(**{**defaults, **kw})
        self.patients.append(patient)
        return patient

    def list_staff(self, *, id_number=None, phone=None):
        return [m for m in self.staff if (id_number and m.id_number == id_number) or (phone and m.phone == phone)]

    def find_patient(self, *, reg_no=None, id_number=None, phone=None):
        return [p for p in self.patients
                if (reg_no and p.reg_no == reg_no) or (id_number and p.id_number == id_number)
                or (phone and p.phone == phone)]


class WechatSession:
    def __init__(self, openid, unionid=""):
        self.openid = openid
        self.unionid = unionid
        self.session_key = "never-sent-to-clients"


class FakeWechat:
    """code → openid, like code2Session; unknown codes fail as WeChat's 40029 would."""

    def __init__(self):
        self.codes = {}

    def code_to_session(self, code):
        from core.errors import InvalidInput

        if code not in self.codes:
            raise InvalidInput("invalid code", code="wechat_code_invalid")
        return WechatSession(*self.codes.pop(code))  # single use, like wx.login codes
