"""The pre-operative timeline (T1–T3, Y6, G1, G2): configurable nodes whose state is derived from case events.

- `NodeDefinition`: one node of a timeline, as configured. Platform defaults have no hospital; a hospital overrides
  a node by key, for every management mode or for one (the most specific row wins, see timeline.definitions).
  Every change bumps `version` and stores a `NodeDefinitionVersion` snapshot (and an audit entry).
- `CaseTimeline`: the projection header of one case: the last case-event sequence applied (the projection is
  rebuilt by replaying the case's events, see timeline.engine).
- `CaseNode`: the state of one node for one case; `NodeTransition`: every change of that state with the event (or
  the clock, for overdue) that caused it, when and by whom — the traceability T1 asks for.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class Audience(models.TextChoices):
    STAFF = "staff", _("staff only")
    PATIENT = "patient", _("patient only")
    BOTH = "both", _("staff and patient")


PATIENT_AUDIENCES = (Audience.PATIENT, Audience.BOTH)
STAFF_AUDIENCES = (Audience.STAFF, Audience.BOTH)


class Anchor(models.TextChoices):
    NONE = "none", _("no expected time")
    SURGERY_DATE = "surgery_date", _("the planned surgery date")
    NODE = "node", _("another node (when it started or was done)")
    EVENT = "event", _("the first event of a type")


class DueFor(models.TextChoices):
    START = "start", _("must have started")
    COMPLETION = "completion", _("must be done")


class DetailKind(models.TextChoices):
    NONE = "none", _("no details")
    BOOKING = "booking", _("booking and admission certificate")
    MESSAGES = "messages", _("messages sent to the patient")
    EDUCATION = "education", _("education material read")
    ANAESTHESIA = "anaesthesia", _("anaesthesia clinic assessment")
    PREOP_ASSESSMENT = "preop_assessment", _("pre-operative assessment and results")
    CLINICAL_RESULTS = "clinical_results", _("lab and exam results")
    THEATRE_SCHEDULE = "theatre_schedule", _("theatre schedule")
    ADMISSION = "admission", _("admission registration")
    OPERATION = "operation", _("operation times")
    DISCHARGE = "discharge", _("discharge assessment and instructions")
    FOLLOW_UP = "follow_up", _("follow-up")


class NodeState(models.TextChoices):
    PENDING = "pending", _("pending")
    IN_PROGRESS = "in_progress", _("in progress")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")
    OVERDUE = "overdue", _("overdue")
    SKIPPED = "skipped", _("skipped")


OPEN_STATES = (NodeState.PENDING, NodeState.IN_PROGRESS, NodeState.OVERDUE)


class NodeDefinition(BaseModel):
    hospital = models.ForeignKey(
        "org.Hospital", on_delete=models.PROTECT, null=True, blank=True, related_name="timeline_node_definitions",
        verbose_name=_("hospital"),
    )  # None: a platform default, inherited by every hospital that does not override the key
    management_mode = models.CharField(_("management mode"), max_length=20, blank=True)  # "": every mode
    key = models.CharField(_("key"), max_length=40)
    name = models.CharField(_("name"), max_length=50)
    patient_name = models.CharField(_("name shown to patients"), max_length=50, blank=True)
    description = models.CharField(_("description for staff"), max_length=500, blank=True)
    patient_description = models.CharField(_("description for patients"), max_length=500, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    audience = models.CharField(_("audience"), max_length=10, choices=Audience.choices, default=Audience.BOTH)
    is_active = models.BooleanField(_("shown"), default=True)  # False: this hospital/mode hides the node

    # Triggers: core.event_rules matchers ({} = never).
    start_on = models.JSONField(_("starts on"), default=dict, blank=True)
    complete_on = models.JSONField(_("done on"), default=dict, blank=True)
    fail_on = models.JSONField(_("fails on"), default=dict, blank=True)
    reset_on = models.JSONField(_("resets on"), default=dict, blank=True)
    skip_on = models.JSONField(_("skipped on"), default=dict, blank=True)
    # Not applicable to a case whose current values match (e.g. {"anaesthesia_clinic_status": ["not_required"]}).
    skip_when = models.JSONField(_("not applicable when"), default=dict, blank=True)

    # Expected time point and overdue rule.
    expected_anchor = models.CharField(_("expected relative to"), max_length=20, choices=Anchor.choices,
                                       default=Anchor.NONE)
    expected_anchor_ref = models.CharField(_("anchor node or event type"), max_length=100, blank=True)
    expected_offset_days = models.SmallIntegerField(_("offset (days)"), default=0)
    expected_offset_hours = models.SmallIntegerField(_("offset (hours)"), default=0)
    expected_time = models.TimeField(_("time of day"), null=True, blank=True)
    due_for = models.CharField(_("expected to be"), max_length=12, choices=DueFor.choices,
                               default=DueFor.COMPLETION)
    overdue_after_minutes = models.PositiveIntegerField(_("overdue after (minutes)"), null=True, blank=True)

    detail_kind = models.CharField(_("details shown"), max_length=20, choices=DetailKind.choices,
                                   default=DetailKind.NONE)

    version = models.PositiveIntegerField(_("version"), default=1)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)  # no longer takes part
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["order", "key", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["hospital", "management_mode", "key"], condition=Q(retired_at__isnull=True),
                nulls_distinct=False, name="uniq_timeline_node_definition",
            ),
        ]

    def __str__(self):
        scope = self.hospital_id or "default"
        return f"{self.key} ({scope}/{self.management_mode or '*'}) v{self.version}"

    @property
    def shown_to_patient(self):
        return self.audience in PATIENT_AUDIENCES

    @property
    def shown_to_staff(self):
        return self.audience in STAFF_AUDIENCES


class NodeDefinitionVersion(models.Model):
    """What a definition looked like at each version, who changed it, when and why (append-only)."""

    definition = models.ForeignKey(NodeDefinition, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    change = models.CharField(max_length=12)  # created / updated / retired / restored
    snapshot = models.JSONField(default=dict)
    reason = models.CharField(max_length=300, blank=True)
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    changed_by_name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["definition_id", "-version"]
        constraints = [models.UniqueConstraint(fields=["definition", "version"], name="uniq_timeline_def_version")]

    def __str__(self):
        return f"{self.definition_id} v{self.version} {self.change}"


class CaseTimeline(BaseModel):
    """The projection header of one case (its row lock serialises updates of the case's nodes)."""

    case = models.OneToOneField("cases.SurgicalCase", on_delete=models.CASCADE, related_name="timeline")
    last_sequence = models.PositiveIntegerField(default=0)  # the last case event applied
    last_applied_at = models.DateTimeField(null=True, blank=True)  # the hospital time of that event
    # What the fold needs beyond node states: the planned date as the events tell it, anchor event times.
    context = models.JSONField(default=dict, blank=True)
    rebuilt_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"timeline of {self.case_id} @{self.last_sequence}"


class CaseNode(BaseModel):
    case = models.ForeignKey("cases.SurgicalCase", on_delete=models.CASCADE, related_name="timeline_nodes")
    key = models.CharField(max_length=40)
    definition = models.ForeignKey(NodeDefinition, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    definition_version = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=12, choices=NodeState.choices, default=NodeState.PENDING)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    skipped_at = models.DateTimeField(null=True, blank=True)
    overdue_at = models.DateTimeField(null=True, blank=True)  # when it became overdue in this round
    was_overdue = models.BooleanField(default=False)  # done/failed after it had become overdue (late)
    expected_at = models.DateTimeField(null=True, blank=True)
    deadline_at = models.DateTimeField(null=True, blank=True, db_index=True)  # expected + grace: overdue after
    state_changed_at = models.DateTimeField(null=True, blank=True)
    last_event = models.ForeignKey("cases.CaseEvent", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["case_id", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "key"], name="uniq_timeline_case_node")]
        indexes = [models.Index(fields=["state", "deadline_at"], name="timeline_node_due_idx")]

    def __str__(self):
        return f"{self.case_id}:{self.key}={self.state}"


class TransitionCause(models.TextChoices):
    EVENT = "event", _("case event")
    CLOCK = "clock", _("expected time passed")
    APPLICABILITY = "applicability", _("not applicable to the case")


class NodeTransition(models.Model):
    """One change of a node's state (append-only; a rebuild re-derives the rows from the case events)."""

    node = models.ForeignKey(CaseNode, on_delete=models.CASCADE, related_name="transitions")
    case = models.ForeignKey("cases.SurgicalCase", on_delete=models.CASCADE, related_name="timeline_transitions")
    from_state = models.CharField(max_length=12, choices=NodeState.choices)
    to_state = models.CharField(max_length=12, choices=NodeState.choices)
    trigger = models.CharField(max_length=10, blank=True)  # start / complete / fail / reset / skip / overdue
    cause = models.CharField(max_length=14, choices=TransitionCause.choices)
    event = models.ForeignKey("cases.CaseEvent", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    event_type = models.CharField(max_length=80, blank=True)
    event_sequence = models.PositiveIntegerField(null=True, blank=True)
    occurred_at = models.DateTimeField()  # hospital time of the cause (event time, or the deadline)
    recorded_at = models.DateTimeField()  # when the projection recorded it
    actor_type = models.CharField(max_length=10, blank=True)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_name = models.CharField(max_length=100, blank=True)
    definition_version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["node_id", "occurred_at", "id"]
        indexes = [models.Index(fields=["case", "occurred_at"], name="timeline_transition_case_idx")]

    def __str__(self):
        return f"{self.node_id}: {self.from_state}→{self.to_state}"
