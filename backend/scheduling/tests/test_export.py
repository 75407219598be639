"""S5: the schedule exported as an Excel file in the hospital's fixed column layout (read back with openpyxl)."""

from datetime import timedelta
from io import BytesIO

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from audit.models import AuditEntry
from scheduling import services
from scheduling.export import DEFAULT_COLUMNS, DEFAULT_TITLE, FIELDS
from scheduling.models import TheatreApplication
from scheduling.selectors import marker_for
from scheduling.tests.conftest import booked
from tests.builders import admin_token, authenticate, make_department, make_hospital, make_staff

pytestmark = [pytest.mark.django_db]
EXPORT = "/api/v1/theatre-schedule/export.xlsx"
LAYOUT = "/api/v1/theatre-schedule-export-layout/"

HOSPITAL_LAYOUT = {
    "title": "示例人民医院日间手术排程表",
    "columns": [
        {"key": "room", "header": "手术间", "width": 10},
        {"key": "sequence", "header": "台次", "width": 6},
        {"key": "patient_name", "header": "姓名", "width": 10},
        {"key": "reg_no", "header": "登记号", "width": 14},
        {"key": "procedure_name", "header": "拟施手术", "width": 30},
        {"key": "surgeon", "header": "主刀医生", "width": 10},
        {"key": "marker", "header": "标识", "width": 5},
        {"key": "application_no", "width": 22},  # header defaults to the field's
    ],
}


@pytest.fixture
def day_list(world, theatre, send):
    tomorrow = timezone.localdate() + timedelta(days=1)
    first = send(procedure_name="腹腔镜胆囊切除术")
    second = send(procedure_name="腹股沟疝修补术")
    waiting = send(procedure_name="=HYPERLINK(\"http://x\")")  # a name a spreadsheet would run as a formula
    for case, room, seq, hour in ((first, "OR-01", 1, 8), (second, "OR-01", 2, 10)):
        app = TheatreApplication.objects.get(case=case)
        theatre.schedule(app.application_no, room=room, sequence=seq,
                         start=timezone.make_aware(timezone.datetime.combine(tomorrow, timezone.datetime.min.time()))
                         + timedelta(hours=hour))
    services.schedule_poll()
    not_sent = booked(ward=world["ward"], surgeon=world["surgeon"], procedure_name="痔切除术")
    return {"first": first, "second": second, "waiting": waiting, "not_sent": not_sent, "day": tomorrow}


def _sheet(response):
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    return load_workbook(BytesIO(response.content)).active


def _rows(ws, start=4):
    return [[c.value for c in row] for row in ws.iter_rows(min_row=start)]


@pytest.mark.req("S5")
def test_the_built_in_layout(world, day_list, api_client):
    authenticate(api_client, world["nurse"])
    ws = _sheet(api_client.get(EXPORT, {"date": day_list["day"].isoformat()}))
    headers = [c.value for c in ws[3]]
    assert headers == [str(FIELDS[k].header) for k in DEFAULT_COLUMNS]
    assert ws["A1"].value == str(DEFAULT_TITLE)
    rows = _rows(ws)
    assert len(rows) == 4
    patient_col = DEFAULT_COLUMNS.index("patient_name")
    reg_col = DEFAULT_COLUMNS.index("reg_no")
    assert [r[patient_col] for r in rows[:2]] == [day_list["first"].patient.name, day_list["second"].patient.name]
    assert rows[0][reg_col] == day_list["first"].patient.reg_no
    assert rows[0][DEFAULT_COLUMNS.index("room")] == "1号手术间"
    assert rows[1][DEFAULT_COLUMNS.index("scheduled_start")] == "10:00"
    statuses = [r[DEFAULT_COLUMNS.index("schedule_status")] for r in rows]
    assert statuses == [marker_for(s)["label"] for s in ("scheduled", "scheduled", "sent_not_scheduled", "not_sent")]
    assert rows[0][0].date() == day_list["day"]  # a real date cell
    assert AuditEntry.objects.filter(action="export", target_type="scheduling.schedule",
                                     actor_id=str(world["nurse"].uuid)).count() == 1


@pytest.mark.req("S5", "Y2")
def test_the_hospitals_fixed_layout_set_by_its_administrator(world, day_list, api_client):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(world['admin'])}")
    fields = api_client.get("/api/v1/theatre-schedule-export-fields/").json()
    assert {f["key"] for f in fields} == set(FIELDS)
    res = api_client.put(LAYOUT, HOSPITAL_LAYOUT, format="json")
    assert res.status_code == 200, res.content
    assert res.json()["is_custom"] is True
    assert res.json()["columns"][-1]["header"] == str(FIELDS["application_no"].header)
    assert AuditEntry.objects.filter(action="config", detail="schedule export layout").exists()
    authenticate(api_client, world["nurse"])
    assert api_client.get(LAYOUT).json()["title"] == "示例人民医院日间手术排程表"
    ws = _sheet(api_client.get(EXPORT, {"date": day_list["day"].isoformat(), "ward": str(world["ward"].uuid)}))
    assert ws["A1"].value == "示例人民医院日间手术排程表"
    assert [c.value for c in ws[3]] == ["手术间", "台次", "姓名", "登记号", "拟施手术", "主刀医生", "标识",
                                        str(FIELDS["application_no"].header)]
    assert [ws.column_dimensions[col].width for col in "ABCDEFGH"] == [10, 6, 10, 14, 30, 10, 5, 22]
    rows = _rows(ws)
    first_app = TheatreApplication.objects.get(case=day_list["first"])
    assert rows[0] == ["1号手术间", 1, day_list["first"].patient.name, day_list["first"].patient.reg_no,
                       "腹腔镜胆囊切除术", "李主刀", "●", first_app.application_no]
    assert rows[1][:2] == ["1号手术间", 2]
    assert rows[2][4] == "'=HYPERLINK(\"http://x\")"  # never a formula
    assert rows[2][6] == "◐" and rows[3][6] == "○" and rows[3][7] in (None, "")
    # Filters apply to the export as to the list.
    ws = _sheet(api_client.get(EXPORT, {"date": day_list["day"].isoformat(), "status": "scheduled"}))
    assert len(_rows(ws)) == 2
    # Back to the built-in layout.
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(world['admin'])}")
    assert api_client.delete(LAYOUT).json()["is_custom"] is False


@pytest.mark.req("S5")
def test_a_layout_is_validated(world, api_client):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(world['admin'])}")
    bad = [
        ({"title": "排程", "columns": []}, "columns"),
        ({"title": "排程", "columns": [{"key": "patient_phone"}]}, "columns"),  # not a whitelisted field
        ({"title": "排程", "columns": [{"key": "room"}, {"key": "room"}]}, "columns"),
        ({"title": "排程", "columns": [{"key": "room", "width": 500}]}, "columns"),
        ({"title": "排程", "columns": [{"key": "room", "header": "x" * 51}]}, "columns"),
        ({"title": "", "columns": [{"key": "room"}]}, "title"),
        ({"title": "排程", "columns": "room"}, "columns"),
    ]
    for body, field in bad:
        res = api_client.put(LAYOUT, body, format="json")
        assert res.status_code == 400, body
        assert field in res.json()["error"]["fields"], (body, res.json())
    assert api_client.get(LAYOUT).json()["is_custom"] is False


@pytest.mark.req("S5", "Y2")
def test_only_the_hospitals_administrators_change_the_layout_and_exports_are_scoped(world, day_list, api_client):
    authenticate(api_client, world["nurse"])
    assert api_client.put(LAYOUT, HOSPITAL_LAYOUT, format="json").status_code == 403
    other_hospital, _campus = make_hospital(code="H-OTHER")
    stranger = make_staff("hospital_admin", department=make_department(code="X1", hospital=other_hospital))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(stranger)}")
    res = api_client.put(f"{LAYOUT}?hospital={world['hospital'].uuid}", HOSPITAL_LAYOUT, format="json")
    assert res.status_code == 403
    # Ward B's nurse exports ward B only: none of ward A's patients.
    authenticate(api_client, world["nurse_b"])
    ws = _sheet(api_client.get(EXPORT, {"date": day_list["day"].isoformat()}))
    assert _rows(ws) == []
    follow_up = make_staff("followup_nurse", ward=world["ward"])
    authenticate(api_client, follow_up)
    assert api_client.get(EXPORT, {"date": day_list["day"].isoformat()}).status_code == 403


@pytest.mark.req("S5")
def test_control_characters_from_other_systems_do_not_break_the_export(world, theatre, api_client):
    """Text copied from the HIS may carry control characters (vertical tab, unit separator...) that an xlsx
    cannot hold: the row is exported without them instead of the whole export failing."""
    case = booked(ward=world["ward"], surgeon=world["surgeon"], procedure_name="腹腔镜\x0b胆囊切除术")
    type(case).objects.filter(pk=case.pk).update(diagnosis_name="胆囊\x1f结石")
    authenticate(api_client, world["nurse"])
    ws = _sheet(api_client.get(EXPORT, {"date": case.planned_date.isoformat()}))
    rows = _rows(ws)
    assert rows[0][DEFAULT_COLUMNS.index("procedure_name")] == "腹腔镜胆囊切除术"
    assert rows[0][DEFAULT_COLUMNS.index("diagnosis")] == "胆囊结石"
