"""The procedure catalogue (Y3, Y4): procedures with grade and incision class, and the wards admitting them.

Procedures normally come from the hospital's HIS (source "his", refreshed by `procedure_sync_from_his`);
a hospital may add local ones (source "local"). The HIS owns code, name, grade, incision class, department,
body site, typical duration and anaesthesia methods. Settings the hospital owns locally — anaesthesia-clinic
requirement, admitting wards, admitted doctors, test package, notice text, patient instructions, the enabled
flag an administrator set — are never overwritten by a sync.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel
from org.models import Department, Ward


class SurgicalGrade(models.IntegerChoices):
    """手术分级 (《医疗机构手术分级管理办法》, DOMAIN.md §2.4)."""

    GRADE_1 = 1, _("Grade 1")  # 一级手术
    GRADE_2 = 2, _("Grade 2")  # 二级手术
    GRADE_3 = 3, _("Grade 3")  # 三级手术
    GRADE_4 = 4, _("Grade 4")  # 四级手术


class IncisionClass(models.TextChoices):
    """切口类别, stored by name because hospital systems number them differently (DOMAIN.md §2.5)."""

    CLASS_0 = "0类", _("Class 0 (no body-surface incision)")  # 0类切口
    CLASS_I = "Ⅰ类", _("Class I (clean)")  # Ⅰ类切口
    CLASS_II = "Ⅱ类", _("Class II (clean-contaminated)")  # Ⅱ类切口
    CLASS_III = "Ⅲ类", _("Class III (contaminated)")  # Ⅲ类切口


class ProcedureSource(models.TextChoices):
    HIS = "his", _("HIS")
    LOCAL = "local", _("Local")


def validate_anaesthesia_methods(value):
    from cases.models import AnaesthesiaMethod  # cases imports catalog: resolve at call time

    if not isinstance(value, list) or any(v not in AnaesthesiaMethod.values for v in value):
        raise ValidationError(_("Unknown anaesthesia method."))


class Procedure(BaseModel):
    code = models.CharField(_("code"), max_length=40, unique=True, help_text=_("ICD-9-CM-3 code"))
    name = models.CharField(_("name"), max_length=200)
    grade = models.PositiveSmallIntegerField(
        _("surgical grade"),
        choices=SurgicalGrade.choices,
        validators=[MinValueValidator(1), MaxValueValidator(4)],
    )
    incision_class = models.CharField(_("incision class"), max_length=8, choices=IncisionClass.choices)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="procedures",
        verbose_name=_("department"),
    )
    requires_anaesthesia_clinic = models.BooleanField(_("requires anaesthesia clinic"), default=False)
    default_duration_minutes = models.PositiveSmallIntegerField(
        _("default duration (minutes)"), default=60, validators=[MinValueValidator(5), MaxValueValidator(720)]
    )
    is_active = models.BooleanField(_("enabled"), default=True)
    source = models.CharField(_("source"), max_length=10, choices=ProcedureSource.choices, default=ProcedureSource.LOCAL)
    his_synced_at = models.DateTimeField(_("last seen in the HIS"), null=True, blank=True)
    his_removed_at = models.DateTimeField(
        _("removed from the HIS at"),
        null=True,
        blank=True,
        help_text=_("Set when a sync no longer finds the procedure in the HIS; it is then disabled."),
    )
    wards = models.ManyToManyField(
        Ward, blank=True, related_name="procedures", verbose_name=_("admitting wards"), through="ProcedureWard"
    )
    body_site = models.CharField(_("body site"), max_length=100, blank=True)  # 手术部位
    anaesthesia_methods = models.JSONField(
        _("anaesthesia methods"),
        default=list,
        blank=True,
        validators=[validate_anaesthesia_methods],
        help_text=_("The anaesthesia methods usual for this procedure (cases.AnaesthesiaMethod values)."),
    )
    notice_text = models.TextField(
        _("notice text"), blank=True, help_text=_("Printed on the admission certificate.")
    )  # 注意事项
    patient_instructions = models.TextField(_("patient instructions"), blank=True)  # 患者须知
    admitted_doctors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        through="ProcedureDoctor",
        related_name="admitted_procedures",
        verbose_name=_("admitted doctors"),
        help_text=_("Surgeons allowed to book this procedure; empty means any surgeon of an admitting department."),
    )
    his_values = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text=_("What the HIS last said of body site, duration and anaesthesia methods: a local change stands "
                    "until the HIS changes its own value."),
    )
    test_package_updated_at = models.DateTimeField(_("test package changed at"), null=True, blank=True)
    test_package_pushed_at = models.DateTimeField(_("test package pushed to the HIS at"), null=True, blank=True)
    test_package_his_id = models.CharField(_("test package id in the HIS"), max_length=100, blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(grade__gte=1, grade__lte=4), name="procedure_grade_1_4"),
            models.CheckConstraint(
                condition=models.Q(incision_class__in=[c.value for c in IncisionClass]), name="procedure_incision_class"
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"


class ProcedureWard(models.Model):
    """A ward admits a procedure (Y4: "configure which procedures each ward admits")."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="ward_links")
    ward = models.ForeignKey(Ward, on_delete=models.CASCADE, related_name="procedure_links")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["procedure", "ward"], name="uniq_procedure_ward")]

    def __str__(self):
        return f"{self.ward_id}:{self.procedure_id}"


class ProcedureDoctor(models.Model):
    """A surgeon admitted to perform a procedure (Y3 "准入医生")."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="doctor_links")
    doctor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="procedure_links")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["procedure", "doctor"], name="uniq_procedure_doctor")]

    def __str__(self):
        return f"{self.doctor_id}:{self.procedure_id}"


class TestPackageKind(models.TextChoices):
    LAB = "lab", _("laboratory test")  # 检验
    EXAM = "exam", _("examination")  # 检查


class TestPackageItem(models.Model):
    """One pre-operative test or examination of a procedure's test package (Y3 "检查检验套餐"), in order."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="test_package_items")
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=TestPackageKind.choices)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["procedure_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "code"], name="uniq_test_package_item_code"),
            models.CheckConstraint(condition=models.Q(kind__in=[k.value for k in TestPackageKind]), name="test_package_item_kind"),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"


class CatalogSyncState(models.Model):
    """What the last catalogue sync saw of the HIS, so an unchanged catalogue is skipped quickly."""

    source = models.CharField(max_length=20, unique=True)  # "his"
    version = models.CharField(max_length=200, blank=True)  # the HIS catalogue's version / ETag
    checked_at = models.DateTimeField(null=True, blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)  # last sync that applied a new version
    last_result = models.JSONField(default=dict, blank=True)

    def __str__(self):
        return f"{self.source}@{self.version}"
