"""Writes of the education context: materials (versioned), videos, reading sessions.

Materials are hospital configuration (org.hospital_config decides who edits which hospital's rows). A reading
session belongs to the patient of its case; finishing it before the version's minimum reading time is refused with
the seconds still to go, and finishing twice changes nothing. The first finished session of a (case, version)
appends `education.material.read` {kind, material, title, version, session, read_seconds, format} to the case.
"""

import hashlib
import math

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.services import audit_record
from core.errors import Conflict, InvalidInput, NotFound
from education.conf import conf
from education.errors import MaterialNotForCase, ReadingTooShort, VideoRejected
from education.models import (
    BodyFormat,
    EducationVideo,
    Material,
    MaterialFormat,
    MaterialVersion,
    Phase,
    ReadingSession,
)
from education.richtext import markdown_has_html, markdown_unsafe_links, plain_length, sanitise_html
from education.video import sniff_video
from org.hospital_config import actor_hospital, assert_can_edit_config

READ_EVENT = "education.material.read"
CONTENT_FIELDS = ("title", "summary", "body_format", "body", "video", "min_read_seconds")


# --- materials ---------------------------------------------------------------------------------------------------


def _default_min_seconds(*, format, body, body_format, video) -> int | None:
    floor, ceiling = conf("EDUCATION_MIN_READ_SECONDS_FLOOR"), conf("EDUCATION_MIN_READ_SECONDS_MAX")
    if format == MaterialFormat.VIDEO:
        if video is None or video.duration_seconds is None:
            return None
        return min(max(video.duration_seconds, floor), ceiling)
    seconds = math.ceil(plain_length(body, body_format) / conf("EDUCATION_READING_CHARS_PER_SECOND"))
    return min(max(seconds, floor), ceiling)


def _clean_content(*, format, hospital_id, title, summary, body_format, body, video, min_read_seconds) -> dict:
    """Validate and normalise one version's content (field errors, never a 500)."""
    problems: dict[str, list] = {}
    title = (title or "").strip()
    if not title:
        problems["title"] = [_("This field is required.")]
    if body_format not in BodyFormat.values:
        problems["body_format"] = [_("Unknown body format.")]
    body = (body or "").strip()
    if len(body) > conf("EDUCATION_BODY_MAX_CHARS"):
        problems["body"] = [_("The text is too long (at most %(limit)s characters).")
                            % {"limit": conf("EDUCATION_BODY_MAX_CHARS")}]
    elif body_format == BodyFormat.HTML:
        body = sanitise_html(body)
    elif body_format == BodyFormat.MARKDOWN and markdown_has_html(body):
        problems["body"] = [_("Markdown text may not contain HTML tags; use the rich text format instead.")]
    elif body_format == BodyFormat.MARKDOWN and markdown_unsafe_links(body):
        problems["body"] = [_("Links and images must be http(s) addresses or paths of this site.")]
    if format == MaterialFormat.TEXT:
        if "body" not in problems and not plain_length(body, body_format):
            problems["body"] = [_("A text item needs a text.")]
        if video is not None:
            problems["video"] = [_("A text item has no video.")]
    elif format == MaterialFormat.VIDEO:
        if video is None:
            problems["video"] = [_("A video item needs an uploaded video.")]
        elif video.hospital_id is not None and video.hospital_id != hospital_id:
            problems["video"] = [_("Unknown video.")]
    if min_read_seconds is None and not problems:
        min_read_seconds = _default_min_seconds(format=format, body=body, body_format=body_format, video=video)
        if min_read_seconds is None:
            problems["min_read_seconds"] = [_("The video's length is unknown: give the minimum viewing time.")]
    elif min_read_seconds is not None and not 0 <= min_read_seconds <= conf("EDUCATION_MIN_READ_SECONDS_MAX"):
        problems["min_read_seconds"] = [_("Between 0 and %(limit)s seconds.")
                                        % {"limit": conf("EDUCATION_MIN_READ_SECONDS_MAX")}]
    if problems:
        raise InvalidInput(fields=problems)
    return {"title": title[:120], "summary": (summary or "").strip()[:300], "body_format": body_format,
            "body": body, "video": video, "min_read_seconds": min_read_seconds}


def _version_add(material, *, actor, content, note=""):
    last = material.versions.order_by("-version").values_list("version", flat=True).first() or 0
    version = MaterialVersion.objects.create(material=material, version=last + 1, note=(note or "")[:200],
                                             edited_by=actor if _is_staff(actor) else None, **content)
    material.current = version
    material.save(update_fields=["current", "updated_at"])
    return version


def _is_staff(actor):
    return actor is not None and not getattr(actor, "is_patient", False)


def _snapshot(material) -> dict:
    v = material.current
    return {"key": material.key, "phase": material.phase, "format": material.format, "order": material.order,
            "required": material.required, "procedure": material.procedure.code if material.procedure_id else None,
            "version": v.version if v else None, "title": v.title if v else "",
            "min_read_seconds": v.min_read_seconds if v else None,
            "video": str(v.video.uuid) if v and v.video_id else None}


@transaction.atomic
def material_create(*, actor, key, phase, format, title, hospital=None, procedure=None, summary="", body="",
                    body_format=BodyFormat.MARKDOWN, video=None, min_read_seconds=None, order=100, required=True,
                    note="", use_actor_hospital=True) -> Material:
    """A new item (version 1). `hospital` defaults to the actor's hospital; None with the system actor = a platform
    default."""
    if hospital is None and use_actor_hospital and actor is not None:
        hospital = actor_hospital(actor)
        if hospital is None and not getattr(actor, "is_superuser", False):
            assert_can_edit_config(actor, None)  # no hospital of their own: refused
    assert_can_edit_config(actor, hospital.pk if hospital else None)
    problems = {}
    if phase not in Phase.values:
        problems["phase"] = [_("Unknown phase.")]
    if format not in MaterialFormat.values:
        problems["format"] = [_("Unknown format.")]
    if problems:
        raise InvalidInput(fields=problems)
    content = _clean_content(format=format, hospital_id=hospital.pk if hospital else None, title=title,
                             summary=summary, body_format=body_format, body=body, video=video,
                             min_read_seconds=min_read_seconds)
    material = Material(hospital=hospital, procedure=procedure, key=key, phase=phase, format=format, order=order,
                        required=required)
    try:
        with transaction.atomic():
            material.save()
    except IntegrityError:
        raise InvalidInput(fields={"key": [_("An active material with this key already exists for this procedure.")]}
                           ) from None
    _version_add(material, actor=actor, content=content, note=note)
    audit_record(actor=actor, action=AuditAction.CREATE, target=material, after=_snapshot(material),
                 system=actor is None)
    return material


def _locked(material) -> Material:
    return (Material.objects.select_for_update(of=("self",)).select_related("current", "current__video", "procedure")
            .get(pk=material.pk))


@transaction.atomic
def material_update(*, material, actor, expected_version=None, note="", **changes) -> Material:
    """Edit an item: content changes (title, summary, body, video, minimum time) write a new version; order and
    `required` change in place. `expected_version` (the version the editor loaded) refuses a lost update."""
    material = _locked(material)
    assert_can_edit_config(actor, material.hospital_id)
    if material.retired_at is not None:
        from education.errors import MaterialRetired

        raise MaterialRetired()
    current = material.current
    if expected_version is not None and current is not None and expected_version != current.version:
        raise Conflict(extra={"current_version": current.version})
    unknown = set(changes) - set(CONTENT_FIELDS) - {"order", "required"}
    if unknown:
        raise InvalidInput(fields={name: [_("This field cannot be changed.")] for name in sorted(unknown)})
    before = _snapshot(material)
    meta = {k: changes.pop(k) for k in ("order", "required") if k in changes}
    for name, value in meta.items():
        setattr(material, name, value)
    if meta:
        material.save(update_fields=[*meta, "updated_at"])
    content_changes = {k: v for k, v in changes.items() if getattr(current, k) != v}
    if content_changes:
        merged = {name: getattr(current, name) for name in CONTENT_FIELDS}
        merged.update(content_changes)
        if "min_read_seconds" not in content_changes and "video" in content_changes:
            merged["min_read_seconds"] = None  # a new video: its length, unless a minimum is given
        content = _clean_content(format=material.format, hospital_id=material.hospital_id, **merged)
        if any(content[k] != getattr(current, k) for k in CONTENT_FIELDS):
            _version_add(material, actor=actor, content=content, note=note)
    if meta or content_changes:
        audit_record(actor=actor, action=AuditAction.UPDATE, target=material, before=before,
                     after=_snapshot(material), system=actor is None)
    return material


@transaction.atomic
def material_retire(*, material, actor) -> Material:
    """Withdraw an item: patients no longer see it (what they read stays recorded); its key is free again."""
    material = _locked(material)
    assert_can_edit_config(actor, material.hospital_id)
    if material.retired_at is None:
        material.retired_at = timezone.now()
        material.retired_by = actor if _is_staff(actor) else None
        material.save(update_fields=["retired_at", "retired_by", "updated_at"])
        audit_record(actor=actor, action=AuditAction.DELETE, target=material, before=_snapshot(material),
                     system=actor is None)
    return material


# --- videos ------------------------------------------------------------------------------------------------------


def video_upload(*, actor, content: bytes, original_name: str = "", hospital=None) -> EducationVideo:
    """Check an uploaded video by its bytes and size, store it through the storage port, record it.

    The object is written before the row: a failed store leaves no row; a failed row leaves an unreferenced object
    (harmless, swept by the bucket's lifecycle rule)."""
    from integrations.registry import get_port

    if hospital is None and actor is not None:
        hospital = actor_hospital(actor)
    assert_can_edit_config(actor, hospital.pk if hospital else None)
    limit = conf("EDUCATION_VIDEO_MAX_BYTES")
    if not content:
        raise VideoRejected(fields={"file": [_("The file is empty.")]})
    if len(content) > limit:
        raise VideoRejected(fields={"file": [_("The video is too large (at most %(mb)s MB).")
                                             % {"mb": limit // (1024 * 1024)}]})
    info = sniff_video(content)
    if info is None:
        raise VideoRejected(fields={"file": [_("Only MP4, MOV and WebM videos are accepted.")]})
    video = EducationVideo(hospital=hospital, content_type=info.content_type, size_bytes=len(content),
                           sha256=hashlib.sha256(content).hexdigest(), duration_seconds=info.duration_seconds,
                           original_name=(original_name or "")[:200], uploaded_by=actor if _is_staff(actor) else None)
    owner = hospital.uuid if hospital else "platform"
    video.storage_key = f"education/videos/{owner}/{video.uuid}.{info.extension}"
    get_port("storage").put(video.storage_key, content, content_type=info.content_type)
    with transaction.atomic():
        video.save()
        audit_record(actor=actor, action=AuditAction.CREATE, target=video, system=actor is None,
                     after={"content_type": video.content_type, "size_bytes": video.size_bytes,
                            "duration_seconds": video.duration_seconds})
    return video


def video_url(video) -> str | None:
    from integrations.registry import get_port

    if video is None:
        return None
    return get_port("storage").presigned_url(video.storage_key, expires_seconds=conf("EDUCATION_VIDEO_URL_SECONDS"))


# --- reading sessions --------------------------------------------------------------------------------------------


def _owner_check(actor, case):
    from accounts.patient_scope import patient_for

    if actor is None:
        return  # the system (demo seeding)
    patient = patient_for(actor)
    if patient is None or patient.pk != case.patient_id:
        raise NotFound()


@transaction.atomic
def reading_start(*, case, material, actor, now=None) -> ReadingSession:
    """Start (or resume) reading the material's current version for the case: an unfinished session of the same
    version is returned as it is, so reopening the page does not restart the clock."""
    from cases.services import case_lock
    from education.selectors import materials_for_case

    _owner_check(actor, case)
    case = case_lock(case)
    if material.pk not in {m.pk for m in materials_for_case(case)}:
        raise MaterialNotForCase()
    material = Material.objects.select_related("current").get(pk=material.pk)
    open_session = (ReadingSession.objects.filter(case=case, version=material.current, finished_at__isnull=True)
                    .order_by("-started_at").first())
    if open_session is not None:
        return open_session
    return ReadingSession.objects.create(
        case=case, patient_id=case.patient_id, ward_id=case.ward_id, material=material, version=material.current,
        min_seconds=material.current.min_read_seconds, started_at=now or timezone.now(),
    )


@transaction.atomic
def reading_finish(*, session, actor, now=None) -> ReadingSession:
    """Finish a session. Before its minimum time: refused with `remaining_seconds`. Finished already: unchanged."""
    from cases.services import case_append_event, case_lock

    _owner_check(actor, session.case)
    case = case_lock(session.case)  # the case first, then the session: one lock order with reading_start
    session = ReadingSession.objects.select_for_update(of=("self",)).select_related("material", "version").get(
        pk=session.pk)
    if session.finished_at is not None:
        return session
    now = now or timezone.now()
    elapsed = (now - session.started_at).total_seconds()
    if elapsed < session.min_seconds:
        remaining = math.ceil(session.min_seconds - elapsed)
        raise ReadingTooShort(extra={"remaining_seconds": remaining, "min_seconds": session.min_seconds})
    session.finished_at = now
    session.read_seconds = int(elapsed)
    first = not ReadingSession.objects.filter(case=case, version=session.version, event_recorded=True).exists()
    session.event_recorded = first
    session.save(update_fields=["finished_at", "read_seconds", "event_recorded", "updated_at"])
    if first:
        case_append_event(case, type=READ_EVENT, actor=actor, occurred_at=now, payload={
            "kind": session.material.phase, "material": str(session.material.uuid), "title": session.version.title,
            "version": session.version.version, "session": str(session.uuid), "read_seconds": session.read_seconds,
            "format": session.material.format,
        })
    return session


def require_material(uuid) -> Material:
    material = Material.objects.select_related("current", "current__video", "procedure").filter(uuid=uuid).first()
    if material is None:
        raise NotFound()
    return material


# --- platform defaults -------------------------------------------------------------------------------------------


def materials_sync_defaults() -> int:
    """Create the missing platform defaults (education.defaults); a default whose text changed in the code gets a new
    version unless a person edited it since. Idempotent; returns how many rows were created or versioned."""
    from education.defaults import DEFAULT_MATERIALS

    changed = 0
    for spec in DEFAULT_MATERIALS:
        with transaction.atomic():
            existing = (Material.objects.select_related("current")
                        .filter(hospital__isnull=True, procedure__isnull=True, key=spec["key"], retired_at__isnull=True)
                        .first())
            if existing is None:
                material_create(actor=None, hospital=None, use_actor_hospital=False, key=spec["key"],
                                phase=spec["phase"], format=MaterialFormat.TEXT, title=spec["title"],
                                summary=spec["summary"], body=spec["body"], order=spec["order"],
                                note="platform default")
                changed += 1
                continue
            current = existing.current
            if current.edited_by_id is None and (current.title, current.summary, current.body) != (
                    spec["title"], spec["summary"], spec["body"].strip()):
                material_update(material=existing, actor=None, title=spec["title"], summary=spec["summary"],
                                body=spec["body"], note="platform default updated")
                changed += 1
    return changed
