"""Bed-card icons (P2): one rules mechanism fed by case events.

- `IconRule`: which case events set (and optionally clear) an icon of one of three classes — alerts (abnormal
  results, infectious disease), look-ups (messages already sent to the patient) and state markers (logged in to
  the app, details completed, education read). Platform defaults have no hospital (seeded from preop.defaults);
  a hospital's own row with the same key overrides the default for that hospital (also to switch it off).
- `CaseIcon`: the icon state of one case and rule key, derived from the case's events by the outbox handler
  (preop.handlers) and rebuildable from the CaseEvent history (preop.services.case_icons_rebuild). `sequence` is
  the case-event sequence that last changed it, so events applied out of order never undo a newer state.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class IconClass(models.TextChoices):
    ALERT = "alert", _("abnormal-result alert")
    LOOKUP = "lookup", _("information look-up")
    STATE = "state", _("state marker")


class IconColour(models.TextChoices):
    RED = "red", _("red")
    ORANGE = "orange", _("orange")
    BLUE = "blue", _("blue")
    GREEN = "green", _("green")
    GREY = "grey", _("grey")


class IconRule(BaseModel):
    hospital = models.ForeignKey(
        "org.Hospital", on_delete=models.PROTECT, null=True, blank=True, related_name="icon_rules",
        verbose_name=_("hospital"),
    )  # None: the platform default, overridden per hospital by a row with the same key
    key = models.SlugField(_("key"), max_length=40)
    icon_class = models.CharField(_("icon class"), max_length=10, choices=IconClass.choices)
    label = models.CharField(_("label"), max_length=30)
    description = models.CharField(_("description"), max_length=200, blank=True)
    symbol = models.CharField(_("symbol"), max_length=30, blank=True)  # the client's icon name
    colour = models.CharField(_("colour"), max_length=10, choices=IconColour.choices, default=IconColour.BLUE)
    set_on = models.JSONField(_("set on"))  # core.event_rules matcher
    clear_on = models.JSONField(_("clear on"), default=dict, blank=True)  # {} = never cleared by an event
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("enabled"), default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        ordering = ["position", "key"]
        constraints = [
            models.UniqueConstraint(fields=["hospital", "key"], name="uniq_icon_rule_hospital_key"),
            models.UniqueConstraint(fields=["key"], condition=Q(hospital__isnull=True), name="uniq_icon_rule_default"),
        ]

    def __str__(self):
        return f"{self.key} ({self.hospital or 'default'})"

    @property
    def is_default(self):
        return self.hospital_id is None


class CaseIcon(models.Model):
    """The state of one icon on one case (shown while `active`)."""

    case = models.ForeignKey("cases.SurgicalCase", on_delete=models.CASCADE, related_name="preop_icons")
    key = models.SlugField(max_length=40)
    icon_class = models.CharField(max_length=10, choices=IconClass.choices)
    active = models.BooleanField(default=True)
    sequence = models.PositiveIntegerField()  # the case event that last changed this icon
    event_uuid = models.UUIDField()
    event_type = models.CharField(max_length=80)
    changed_at = models.DateTimeField()  # when that event occurred
    count = models.PositiveIntegerField(default=0)  # how many set events while active (messages sent…)
    detail = models.JSONField(default=dict, blank=True)  # the event's data (no personal data by contract)

    class Meta:
        ordering = ["case", "key"]
        constraints = [models.UniqueConstraint(fields=["case", "key"], name="uniq_case_icon")]
        indexes = [models.Index(fields=["case", "active"], name="case_icon_active_idx")]

    def __str__(self):
        return f"{self.case_id}:{self.key}={'on' if self.active else 'off'}"
