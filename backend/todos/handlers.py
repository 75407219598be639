"""Outbox consumers of the to-do context: every case event (whichever context appended it) goes through the
hospital's to-do rules (`todos_apply_event`). The handler's database effects happen once per message (core.outbox);
the staff notice it publishes carries the to-do's uuid as its idempotency key."""

from cases.handlers import is_case_event
from core.outbox import outbox_handler


@outbox_handler("*", name="todos.rules", applies=is_case_event)
def apply_todo_rules(message):
    from todos.services import todos_apply_event

    todos_apply_event(message.payload)
