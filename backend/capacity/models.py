"""Booking capacity (Y5, B4, B6): resources (号源) per surgeon, medical group or department, and department quotas.

- `WeeklyTemplate`: per owner, weekday and session, the number of resources and the maximum bookings.
- `CapacitySlot`: one owner's capacity on one date and session, generated from the template (or copied from
  another week, or set by an exception). Bookings consume it (`used`); the timetable reads it.
- `DateException`: a holiday, closure or changed capacity on one date (whole day or one session), with a
  reason. It wins over templates and copies whenever slots are (re)generated.
- `BookingPlace`: which slot a case holds a place in, so a release gives back exactly what was taken, once.

A quota (kind `quota`, department owners only) is the same shape: a maximum number of bookings per date and
session that every surgeon of the department competes for (抢号), independent of who owns resources.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Session
from core.models import BaseModel
from org.models import Weekday


class CapacityKind(models.TextChoices):
    RESOURCE = "resource", _("resources")
    QUOTA = "quota", _("department quota")


class OwnerType(models.TextChoices):
    SURGEON = "surgeon", _("surgeon")
    GROUP = "group", _("medical group")
    DEPARTMENT = "department", _("department")


OWNER_FIELDS = {OwnerType.SURGEON: "surgeon", OwnerType.GROUP: "group", OwnerType.DEPARTMENT: "department"}


def owner_type_of(owner) -> str:
    """The owner type of a surgeon (accounts.User), a medical group or a department instance."""
    from org.models import Department, MedicalGroup

    if isinstance(owner, Department):
        return OwnerType.DEPARTMENT
    if isinstance(owner, MedicalGroup):
        return OwnerType.GROUP
    return OwnerType.SURGEON


def owner_key(owner_type, owner_id) -> str:
    """One string per owner ("surgeon:12"): unique constraints and look-ups across the three nullable keys."""
    return f"{owner_type}:{owner_id}"


def owner_fields(owner) -> dict:
    """Keyword arguments (and filters) naming `owner` on a capacity row: {"surgeon": user} etc."""
    return {OWNER_FIELDS[owner_type_of(owner)]: owner}


def owner_key_of(owner) -> str:
    return owner_key(owner_type_of(owner), owner.pk)


class OwnedCapacity(BaseModel):
    """Exactly one owner: a surgeon, a medical group or a department."""

    kind = models.CharField(_("kind"), max_length=10, choices=CapacityKind.choices, default=CapacityKind.RESOURCE)
    surgeon = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("surgeon"),
    )
    group = models.ForeignKey(
        "org.MedicalGroup", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("medical group"),
    )
    department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("department"),
    )
    owner_key = models.CharField(max_length=40, editable=False, db_index=True)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(surgeon__isnull=False, group__isnull=True, department__isnull=True)
                    | Q(surgeon__isnull=True, group__isnull=False, department__isnull=True)
                    | Q(surgeon__isnull=True, group__isnull=True, department__isnull=False)
                ),
                name="%(app_label)s_%(class)s_one_owner",
            ),
            models.CheckConstraint(
                condition=Q(kind="resource") | Q(department__isnull=False), name="%(app_label)s_%(class)s_quota_dept"
            ),
        ]

    @property
    def owner_type(self):
        return next(t for t, name in OWNER_FIELDS.items() if getattr(self, f"{name}_id") is not None)

    @property
    def owner(self):
        return getattr(self, OWNER_FIELDS[self.owner_type])

    def __str__(self):
        when = self.date if hasattr(self, "date") else Weekday(self.weekday).label
        return f"{self.owner} {self.get_kind_display()} {when} {self.session}".strip()

    def save(self, *args, **kwargs):
        self.owner_key = owner_key(self.owner_type, getattr(self, f"{OWNER_FIELDS[self.owner_type]}_id"))
        super().save(*args, **kwargs)


class WeeklyTemplate(OwnedCapacity):
    """One row of an owner's weekly template: weekday × session → resources and maximum bookings."""

    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    session = models.CharField(_("session"), max_length=2, choices=Session.choices)
    resources = models.PositiveSmallIntegerField(_("number of resources"), default=1)
    max_bookings = models.PositiveSmallIntegerField(_("maximum bookings"))

    class Meta:
        ordering = ["owner_key", "kind", "weekday", "session"]
        constraints = [
            *OwnedCapacity.Meta.constraints,
            models.UniqueConstraint(fields=["owner_key", "kind", "weekday", "session"], name="uniq_capacity_template"),
        ]


class SlotSource(models.TextChoices):
    TEMPLATE = "template", _("weekly template")
    COPY = "copy", _("copied week")
    EXCEPTION = "exception", _("date exception")
    MANUAL = "manual", _("set by hand")


class CapacitySlot(OwnedCapacity):
    """An owner's capacity on one date and session; `used` never exceeds `max_bookings` (checked by the database)."""

    date = models.DateField(_("date"))
    session = models.CharField(_("session"), max_length=2, choices=Session.choices)
    resources = models.PositiveSmallIntegerField(_("number of resources"), default=1)
    max_bookings = models.PositiveSmallIntegerField(_("maximum bookings"))
    used = models.PositiveIntegerField(_("places taken"), default=0)
    closed = models.BooleanField(_("closed for bookings"), default=False)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=SlotSource.choices, default=SlotSource.TEMPLATE)

    class Meta:
        ordering = ["date", "session", "owner_key", "kind"]
        constraints = [
            *OwnedCapacity.Meta.constraints,
            models.UniqueConstraint(fields=["owner_key", "kind", "date", "session"], name="uniq_capacity_slot"),
            models.CheckConstraint(condition=Q(used__lte=models.F("max_bookings")), name="capacity_slot_not_overbooked"),
            models.CheckConstraint(condition=Q(closed=False) | Q(used=0), name="capacity_slot_closed_empty"),
        ]
        indexes = [models.Index(fields=["owner_key", "date"], name="capacity_slot_owner_date")]

    @property
    def free(self):
        return 0 if self.closed else max(self.max_bookings - self.used, 0)


class DateException(OwnedCapacity):
    """A holiday or closure (closed), or a changed capacity, on one date; session blank = the whole day."""

    date = models.DateField(_("date"))
    session = models.CharField(_("session"), max_length=2, choices=Session.choices, blank=True)
    closed = models.BooleanField(_("closed for bookings"), default=True)
    resources = models.PositiveSmallIntegerField(_("number of resources"), null=True, blank=True)
    max_bookings = models.PositiveSmallIntegerField(_("maximum bookings"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        ordering = ["date", "session", "owner_key", "kind"]
        constraints = [
            *OwnedCapacity.Meta.constraints,
            models.UniqueConstraint(fields=["owner_key", "kind", "date", "session"], name="uniq_capacity_exception"),
            models.CheckConstraint(
                condition=Q(closed=True) | Q(max_bookings__isnull=False), name="capacity_exception_change_has_max"
            ),
        ]

    def applies_to(self, session) -> bool:
        return self.session in ("", session)


class BookingPlace(models.Model):
    """A place held by a case in one slot. Exists exactly while the place is held: release deletes it."""

    case = models.ForeignKey("cases.SurgicalCase", on_delete=models.CASCADE, related_name="booking_places")
    slot = models.ForeignKey(CapacitySlot, on_delete=models.PROTECT, related_name="places")
    taken_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "slot"], name="uniq_booking_place")]

    def __str__(self):
        return f"{self.case_id} → {self.slot_id}"
