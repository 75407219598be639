"""Patient education (Y11, M3, PA3, PA5): materials per procedure and perioperative phase, text and video, with a
minimum reading time the server enforces through reading sessions.

- `Material`: one item of a hospital (null = a platform default shipped with the product, see education.defaults)
  for one procedure (null = every procedure) and one phase — the `kind` of the `education.material.read` event the
  bed card and the timeline consume. For a case, the most specific active row of each `key` wins (the hospital's
  before the platform's, one for the case's procedure before one for every procedure), so a hospital replaces a
  platform default by creating a material with the same key. Edits never overwrite: every change writes a new `MaterialVersion` and moves `current` to it; what a
  patient read is the version they read.
- `EducationVideo`: an uploaded video object (type checked by its bytes, size limited, stored through the storage
  port, served by a short-lived presigned URL). A version of a video material points at one.
- `ReadingSession`: one patient reading one material version for one case, start → finish; the server refuses a
  finish earlier than the version's minimum reading time. The first finished session of a (case, version) appends
  `education.material.read` to the case.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class Phase(models.TextChoices):
    PREOP = "preop", _("before surgery")
    ADMISSION = "admission", _("admission and day of surgery")
    DISCHARGE = "discharge", _("discharge and recovery at home")


PHASE_ORDER = {Phase.PREOP: 0, Phase.ADMISSION: 1, Phase.DISCHARGE: 2}


class MaterialFormat(models.TextChoices):
    TEXT = "text", _("text")
    VIDEO = "video", _("video")


class BodyFormat(models.TextChoices):
    MARKDOWN = "markdown", _("Markdown")
    HTML = "html", _("rich text (HTML, sanitised)")


class Material(BaseModel):
    hospital = models.ForeignKey(
        "org.Hospital", on_delete=models.PROTECT, null=True, blank=True, related_name="education_materials",
        verbose_name=_("hospital"),
    )  # None: a platform default
    procedure = models.ForeignKey(
        "catalog.Procedure", on_delete=models.PROTECT, null=True, blank=True, related_name="education_materials",
        verbose_name=_("procedure"),
    )  # None: every procedure
    key = models.SlugField(_("key"), max_length=60)
    phase = models.CharField(_("phase"), max_length=20, choices=Phase.choices)
    format = models.CharField(_("format"), max_length=10, choices=MaterialFormat.choices)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    required = models.BooleanField(_("must be read"), default=True)
    current = models.ForeignKey(
        "education.MaterialVersion", on_delete=models.PROTECT, null=True, related_name="+",
        verbose_name=_("current version"),
    )
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
    )

    class Meta:
        ordering = ["phase", "order", "id"]
        constraints = [
            # One active item per key, hospital (or platform) and procedure (or every procedure).
            models.UniqueConstraint(fields=["hospital", "procedure", "key"], condition=Q(retired_at__isnull=True),
                                    nulls_distinct=False, name="education_material_active_key"),
        ]
        indexes = [models.Index(fields=["phase", "procedure"], name="education_phase_procedure_idx")]

    def __str__(self):
        return f"{self.key} ({self.phase})"


class EducationVideo(BaseModel):
    hospital = models.ForeignKey(
        "org.Hospital", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("hospital"),
    )
    storage_key = models.CharField(max_length=300, unique=True)
    content_type = models.CharField(max_length=40)
    size_bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)  # read from the MP4 header when present
    original_name = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]


class MaterialVersion(BaseModel):
    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    title = models.CharField(_("title"), max_length=120)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body_format = models.CharField(_("body format"), max_length=10, choices=BodyFormat.choices,
                                   default=BodyFormat.MARKDOWN)
    body = models.TextField(_("body"), blank=True)  # sanitised on save (see education.richtext)
    video = models.ForeignKey(EducationVideo, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    min_read_seconds = models.PositiveIntegerField(_("minimum reading time (seconds)"))
    note = models.CharField(_("what changed"), max_length=200, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
    )

    class Meta:
        ordering = ["material_id", "-version"]
        constraints = [models.UniqueConstraint(fields=["material", "version"], name="education_version_unique")]

    def __str__(self):
        return f"{self.material.key} v{self.version}"


class ReadingSession(BaseModel):
    case = models.ForeignKey("cases.SurgicalCase", on_delete=models.CASCADE, related_name="reading_sessions")
    patient = models.ForeignKey("cases.Patient", on_delete=models.CASCADE, related_name="reading_sessions")
    ward = models.ForeignKey("org.Ward", on_delete=models.PROTECT, related_name="+")  # the case's ward (scoping)
    material = models.ForeignKey(Material, on_delete=models.PROTECT, related_name="reading_sessions")
    version = models.ForeignKey(MaterialVersion, on_delete=models.PROTECT, related_name="reading_sessions")
    min_seconds = models.PositiveIntegerField()  # the version's minimum when the session started
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    read_seconds = models.PositiveIntegerField(null=True, blank=True)
    event_recorded = models.BooleanField(default=False)  # this finish appended education.material.read

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["case", "material"], name="education_session_case_idx")]

    def __str__(self):
        return f"{self.case_id} {self.material_id} {self.started_at:%Y-%m-%d %H:%M}"
