"""Reads of the organisation structure. Organisation rows are not patient data: every holder of `org.view`
reads the whole structure of the deployment (U1); patient-bearing reads go through org.scoping instead."""

from org.models import (
    Bed,
    Campus,
    Department,
    Hospital,
    MedicalGroup,
    TheatreRoom,
    TheatreSession,
    TheatreSuite,
    Ward,
)


def hospital_list():
    return Hospital.objects.order_by("code")


def campus_list():
    return Campus.objects.select_related("hospital").order_by("hospital__code", "code")


def department_list():
    return Department.objects.select_related("hospital", "campus").order_by("hospital__code", "code")


def ward_list():
    return Ward.objects.select_related("department", "campus").order_by("code")


def bed_list():
    return Bed.objects.select_related("ward").order_by("ward__code", "code")


def medical_group_list():
    return (
        MedicalGroup.objects.select_related("department", "leader").prefetch_related("members").order_by("name", "id")
    )


def theatre_suite_list():
    return TheatreSuite.objects.select_related("campus").order_by("code")


def theatre_room_list():
    return TheatreRoom.objects.select_related("suite").order_by("suite__code", "code")


def theatre_session_list():
    return TheatreSession.objects.select_related("room", "room__suite").order_by(
        "room__suite__code", "room__code", "weekday", "start_time"
    )


def hospital_id_of_ward(ward_id) -> int | None:
    """The hospital a ward belongs to (None for an unknown ward): one query, no rows loaded."""
    return Ward.objects.filter(pk=ward_id).values_list("department__hospital_id", flat=True).first()
