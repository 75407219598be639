"""Hospital organisation (U1, U2, Y4): one deployment, many campuses, departments and wards.

A ward's management mode decides which booking flow applies: the day-surgery centre (中心日间), a day ward
inside a specialty (病房日间) or outpatient surgery (门诊手术).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class ManagementMode(models.TextChoices):
    CENTRE = "centre", _("Day-surgery centre")  # 中心日间
    WARD = "ward", _("Day ward")  # 病房日间
    OUTPATIENT = "outpatient", _("Outpatient surgery")  # 门诊手术


class Hospital(BaseModel):
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=40, unique=True)

    def __str__(self):
        return self.name


class Campus(BaseModel):
    hospital = models.ForeignKey(Hospital, on_delete=models.PROTECT, related_name="campuses")
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=40)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hospital", "code"], name="uniq_campus_code")]

    def __str__(self):
        return self.name


class Department(BaseModel):
    hospital = models.ForeignKey(Hospital, on_delete=models.PROTECT, related_name="departments")
    campus = models.ForeignKey(Campus, on_delete=models.PROTECT, related_name="departments", null=True, blank=True)
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=40, help_text=_("Department code in the HIS"))
    is_active = models.BooleanField(_("enabled"), default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hospital", "code"], name="uniq_department_code")]
        ordering = ["code"]

    def __str__(self):
        return self.name


class Ward(BaseModel):
    """An admitting unit: owns day beds (virtual beds) and isolates its patients from other wards' staff."""

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="wards")
    campus = models.ForeignKey(Campus, on_delete=models.PROTECT, related_name="wards", null=True, blank=True)
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=40, unique=True)
    management_mode = models.CharField(_("management mode"), max_length=20, choices=ManagementMode.choices)
    location = models.CharField(_("location"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    guidance_text = models.TextField(_("guidance for patients (导诊)"), blank=True, max_length=2000)
    is_active = models.BooleanField(_("enabled"), default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.name


class Bed(BaseModel):
    ward = models.ForeignKey(Ward, on_delete=models.CASCADE, related_name="beds")
    code = models.CharField(_("bed number"), max_length=20)
    is_day_bed = models.BooleanField(_("day bed"), default=True)
    is_active = models.BooleanField(_("enabled"), default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ward", "code"], name="uniq_bed_code")]
        ordering = ["ward", "code"]

    def __str__(self):
        return f"{self.ward.name}-{self.code}"


class MedicalGroup(BaseModel):
    """医疗组: a leader surgeon and members who may book on the leader's behalf (B5)."""

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="medical_groups")
    name = models.CharField(_("name"), max_length=100)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="led_groups", verbose_name=_("leader")
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="medical_groups", blank=True, verbose_name=_("members")
    )

    def __str__(self):
        return self.name


class TheatreSuite(BaseModel):
    """手术室 (operating suite / department of anaesthesia's theatre block)."""

    campus = models.ForeignKey(Campus, on_delete=models.PROTECT, related_name="theatre_suites", null=True, blank=True)
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=40, unique=True)

    def __str__(self):
        return self.name


class TheatreRoom(BaseModel):
    """手术间."""

    suite = models.ForeignKey(TheatreSuite, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(_("code"), max_length=40)
    is_active = models.BooleanField(_("enabled"), default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["suite", "code"], name="uniq_room_code")]
        ordering = ["suite", "code"]

    def __str__(self):
        return f"{self.suite.name} {self.name}"


class Weekday(models.IntegerChoices):
    MON = 0, _("Monday")
    TUE = 1, _("Tuesday")
    WED = 2, _("Wednesday")
    THU = 3, _("Thursday")
    FRI = 4, _("Friday")
    SAT = 5, _("Saturday")
    SUN = 6, _("Sunday")


class TheatreSession(BaseModel):
    """A room's regular open session (e.g. Monday 08:00–12:00)."""

    room = models.ForeignKey(TheatreRoom, on_delete=models.CASCADE, related_name="sessions")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_time = models.TimeField(_("start"))
    end_time = models.TimeField(_("end"))

    class Meta:
        ordering = ["room", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_time__gt=models.F("start_time")), name="session_end_after_start")
        ]
