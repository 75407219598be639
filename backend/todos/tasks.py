"""Thin Celery wrappers of the to-do context (scheduled in todos/settings_part.py)."""

from celery import shared_task

from todos.services import todos_remind_overdue


@shared_task(name="todos.remind_overdue")
def remind_overdue():
    """Announce open to-dos that passed their due time (once each). Idempotent."""
    return todos_remind_overdue()
