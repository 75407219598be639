"""S5: the schedule as an Excel workbook in the hospital's fixed column layout (openpyxl).

A layout is an ordered list of columns `{"key", "header", "width"}`; keys come from FIELDS (a whitelist: a
layout can only show what the schedule shows). A hospital without its own layout gets DEFAULT_COLUMNS.
"""

from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO

from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from core.errors import InvalidInput
from scheduling.selectors import current_application, marker_for

MAX_COLUMNS = 40
MAX_HEADER = 50
MIN_WIDTH, MAX_WIDTH = 2, 100


def _age(case):
    born = case.patient.birth_date
    if not born or not case.planned_date:
        return ""
    on = case.planned_date
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _room(case):
    if case.theatre_room_id:
        return case.theatre_room.name
    app = current_application(case)
    return app.theatre_room_code if app else ""


def _start(case):
    if not case.scheduled_start:
        return ""
    return timezone.localtime(case.scheduled_start).strftime("%H:%M")


def _assistants(case):
    return "、".join(u.name for u in case.assistants.all())


def _application_no(case):
    app = current_application(case)
    return app.application_no if app else ""


@dataclass(frozen=True)
class Field:
    header: object  # lazy translated default header
    width: int
    value: Callable


FIELDS: dict[str, Field] = {
    "planned_date": Field(_("Surgery date"), 12, lambda c: c.planned_date),
    "session": Field(_("Session (am/pm)"), 8, lambda c: c.get_planned_session_display() if c.planned_session else ""),
    "room": Field(_("Theatre room"), 12, _room),
    "sequence": Field(_("Sequence in room"), 6, lambda c: c.theatre_sequence or ""),
    "scheduled_start": Field(_("Planned start"), 10, _start),
    "ward": Field(_("Ward"), 14, lambda c: c.ward.name),
    "department": Field(_("Department"), 14, lambda c: c.department.name),
    "patient_name": Field(_("Patient name"), 10, lambda c: c.patient.name),
    "reg_no": Field(_("Registration number"), 14, lambda c: c.patient.reg_no),
    "sex": Field(_("Sex"), 6, lambda c: c.patient.get_sex_display()),
    "age": Field(_("Age"), 6, _age),
    "diagnosis": Field(_("Pre-operative diagnosis"), 24, lambda c: c.diagnosis_name),
    "procedure_name": Field(_("Planned procedure"), 28, lambda c: c.procedure_name),
    "procedure_code": Field(_("Procedure code"), 12, lambda c: c.procedure_code),
    "surgeon": Field(_("Operating surgeon"), 10, lambda c: c.surgeon.name),
    "assistants": Field(_("Assistants"), 16, _assistants),
    "anaesthesia_method": Field(
        _("Anaesthesia method"), 12, lambda c: c.get_anaesthesia_method_display() if c.anaesthesia_method else ""),
    "position": Field(_("Surgical position"), 10, lambda c: c.get_position_display() if c.position else ""),
    "expected_duration": Field(_("Expected duration (min)"), 10, lambda c: c.expected_duration_minutes or ""),
    "schedule_status": Field(_("Schedule status"), 14, lambda c: marker_for(c.theatre_schedule_status)["label"]),
    "marker": Field(_("Marker"), 6, lambda c: marker_for(c.theatre_schedule_status)["symbol"]),
    "application_no": Field(_("Application number"), 20, _application_no),
    "case_state": Field(_("Case state"), 12, lambda c: c.get_state_display()),
    "remarks": Field(_("Remarks"), 24, lambda c: c.remarks),
}

DEFAULT_TITLE = _("Day-surgery theatre schedule")
DEFAULT_COLUMNS = (
    "planned_date", "room", "sequence", "scheduled_start", "ward", "patient_name", "reg_no", "sex", "age",
    "diagnosis", "procedure_name", "surgeon", "anaesthesia_method", "schedule_status",
)


def default_columns() -> list[dict]:
    return [{"key": key, "header": str(FIELDS[key].header), "width": FIELDS[key].width} for key in DEFAULT_COLUMNS]


def field_choices() -> list[dict]:
    return [{"key": key, "header": str(f.header), "width": f.width} for key, f in FIELDS.items()]


def clean_columns(columns) -> list[dict]:
    """Validate a layout's columns: 1–40, known keys, each once; header defaults to the field's, width 2–100."""
    if not isinstance(columns, list) or not columns:
        raise InvalidInput(fields={"columns": [_("Choose at least one column.")]})
    if len(columns) > MAX_COLUMNS:
        raise InvalidInput(fields={"columns": [_("At most %(n)d columns.") % {"n": MAX_COLUMNS}]})
    cleaned, seen, problems = [], set(), []
    for position, column in enumerate(columns, start=1):
        if not isinstance(column, dict):
            problems.append(_("Column %(n)d: not a column.") % {"n": position})
            continue
        key = column.get("key")
        if not isinstance(key, str) or key not in FIELDS:
            problems.append(_("Column %(n)d: unknown field.") % {"n": position})
            continue
        if key in seen:
            problems.append(_("Column %(n)d: this field is already in the layout.") % {"n": position})
            continue
        seen.add(key)
        header = column.get("header")
        header = str(FIELDS[key].header) if header in (None, "") else header
        if not isinstance(header, str) or not header.strip() or len(header) > MAX_HEADER:
            problems.append(_("Column %(n)d: the header must be 1–50 characters.") % {"n": position})
            continue
        width = column.get("width", FIELDS[key].width)
        if isinstance(width, bool) or not isinstance(width, int | float) or not MIN_WIDTH <= width <= MAX_WIDTH:
            problems.append(_("Column %(n)d: the width must be between 2 and 100.") % {"n": position})
            continue
        cleaned.append({"key": key, "header": header.strip(), "width": int(width) if width == int(width) else width})
    if problems:
        raise InvalidInput(fields={"columns": [str(p) for p in problems]})
    return cleaned


def layout_for(hospital) -> tuple[str, list[dict], bool]:
    """(title, columns, is_custom) of the hospital's export layout."""
    from scheduling.models import ScheduleExportLayout

    layout = ScheduleExportLayout.objects.filter(hospital=hospital).first() if hospital is not None else None
    if layout is None:
        return str(DEFAULT_TITLE), default_columns(), False
    return layout.title, list(layout.columns), True


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        # Control characters (pasted from other systems) cannot be stored in xlsx: dropped, not a failed export.
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        # A cell starting with = + - @ would be read as a formula by spreadsheet programs (CSV/formula injection).
        return "'" + value if value[:1] in ("=", "+", "-", "@") else value
    return value


def build_workbook(cases, *, title: str, columns: list[dict], subtitle: str = "") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = _t("Theatre schedule")[:31]
    n = len(columns)
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws.cell(row=1, column=1, value=_cell(title)).font = Font(bold=True, size=14)
    ws.cell(row=1, column=1).alignment = Alignment(horizontal="center")
    if n > 1:
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=n)
    ws.cell(row=2, column=1, value=_cell(subtitle))
    if n > 1:
        ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=n)
    header_row = 3
    for i, column in enumerate(columns, start=1):
        cell = ws.cell(row=header_row, column=i, value=_cell(column["header"]))
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
        ws.column_dimensions[get_column_letter(i)].width = column["width"]
    row = header_row
    for case in cases:
        row += 1
        for i, column in enumerate(columns, start=1):
            cell = ws.cell(row=row, column=i, value=_cell(FIELDS[column["key"]].value(case)))
            cell.border = border
            cell.alignment = Alignment(vertical="center", wrap_text=True)
            if column["key"] == "planned_date":
                cell.number_format = "yyyy-mm-dd"
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
