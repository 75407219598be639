"""The length-of-stay clock (G3): 20 h / 44 h warnings, > 24 h delayed discharge, > 48 h must leave."""

from datetime import timedelta

from django.conf import settings

from cases.models import LosAlertLevel


def los_level_for_hours(hours: float) -> str:
    if hours > settings.CASE_LOS_LIMIT_48_HOURS:
        return LosAlertLevel.OVER_48
    if hours >= settings.CASE_LOS_APPROACHING_48_HOURS:
        return LosAlertLevel.APPROACHING_48
    if hours > settings.CASE_LOS_LIMIT_24_HOURS:
        return LosAlertLevel.OVER_24
    if hours >= settings.CASE_LOS_APPROACHING_24_HOURS:
        return LosAlertLevel.APPROACHING_24
    return LosAlertLevel.NONE


def los_level_at(case, at) -> str:
    if not case.admitted_at:
        return LosAlertLevel.NONE
    return los_level_for_hours((at - case.admitted_at) / timedelta(hours=1))
