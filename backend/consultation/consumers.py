"""The online-consultation socket (PA8): ws/consultations/<case uuid>/?ticket=<single-use ticket>.

The ticket (POST /api/v1/realtime/tickets/) is consumed on connect; the patient of the case, or a care-team
member whose wards include the case's ward and who holds `consultation.view`, is let in — anybody else is
refused before the handshake completes (HTTP 403, close code 4403; a bad ticket 4401).

Client → server: {"action": "send", "body", "client_id"} (a retry with the same client_id stores nothing new),
{"action": "read", "sequence"} (read receipt; default everything), {"action": "ping"}.
Server → client: {"type": "ready", "conversation": {...}} first, then {"type": "event", "event":
"consultation.message.sent", "payload": {"case", "message"}} for every message (one's own included: clients
match it by client_id) and "consultation.message.read" {"reader", "sequence", "read_at"}; {"type": "sent",
"client_id", "message"} answers a send; {"type": "error", "code", "message", "fields"}; {"type": "pong"}.
Every action re-reads the principal and is authorised again by the services, and every pushed message is
delivered only after the principal is authorised again (a disabled account, a lost ward or permission takes
effect at once: the socket is closed, 4401 or 4403, and hears nothing more). Messages are persisted before they
are pushed; after a gap, fetch `.../conversation/messages/?after=<last sequence>` over REST.
"""

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from consultation.realtime import conversation_group
from realtime import tickets
from realtime.groups import patient_group, user_group

CLOSE_UNAUTHORISED = 4401
CLOSE_FORBIDDEN = 4403


def _authorise(principal, case_uuid):
    """The case if `principal` may follow its conversation, else None."""
    from accounts.permissions import has_permission
    from cases.models import SurgicalCase
    from consultation import permissions as perms
    from org.scoping import scope_queryset

    qs = SurgicalCase.objects.filter(uuid=case_uuid).select_related("ward", "patient")
    if getattr(principal, "is_patient", False):
        if not principal.patient_id:
            return None
        return qs.filter(patient_id=principal.patient_id).first()
    if not has_permission(principal, perms.VIEW_CONSULTATIONS.slug):
        return None
    return scope_queryset(qs, principal).first()


def _reauthorise(principal, case_uuid):
    """(principal as it is now, the case if they may still follow its conversation); None for what is lost."""
    principal = tickets.principal_refresh(principal)
    if principal is None:
        return None, None
    return principal, _authorise(principal, case_uuid)


def _snapshot(case):
    from consultation.selectors import conversation_of

    conversation = conversation_of(case)
    if conversation is None:
        return {"case": str(case.uuid), "last_sequence": 0, "patient_read_sequence": 0, "staff_read_sequence": 0}
    return {"case": str(case.uuid), "conversation": str(conversation.uuid), "last_sequence": conversation.last_sequence,
            "patient_read_sequence": conversation.patient_read_sequence,
            "staff_read_sequence": conversation.staff_read_sequence, "last_sender": conversation.last_sender or ""}


def _send(principal, case, body, client_id):
    from consultation.services import message_payload, message_send

    message, _created = message_send(actor=principal, case=case, body=body, client_id=client_id)
    return message_payload(message)


def _read(principal, case, sequence):
    from consultation.services import conversation_mark_read

    conversation_mark_read(actor=principal, case=case, sequence=sequence)


class ConversationConsumer(AsyncJsonWebsocketConsumer):
    principal = None
    sid = None
    case = None

    async def connect(self):
        self.groups_joined = set()
        query = parse_qs(self.scope.get("query_string", b"").decode("latin1"))
        ticket = (query.get("ticket") or [None])[0]
        principal, sid = await database_sync_to_async(tickets.ticket_consume_session)(ticket)
        if principal is None:
            await self.close(code=CLOSE_UNAUTHORISED)
            return
        case_uuid = self.scope["url_route"]["kwargs"]["case_uuid"]
        case = await database_sync_to_async(_authorise)(principal, case_uuid)
        if case is None:
            await self.close(code=CLOSE_FORBIDDEN)  # another patient's or another ward's case: refused
            return
        self.principal, self.sid, self.case = principal, sid, case
        self.group = conversation_group(case.uuid)
        own = patient_group(principal.uuid) if getattr(principal, "is_patient", False) else user_group(principal.uuid)
        for group in (self.group, own):  # own group: only for the session-ended control message
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.add(group)
        await self.accept()
        snapshot = await database_sync_to_async(_snapshot)(case)
        await self.send_json({"type": "ready", "conversation": snapshot})

    async def disconnect(self, code):
        for group in list(getattr(self, "groups_joined", ())):
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined = set()

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        try:
            await super().receive(text_data=text_data, bytes_data=bytes_data, **kwargs)
        except ValueError:
            await self._error("invalid", "expected a JSON object")

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict):
            await self._error("invalid", "expected a JSON object")
            return
        action = content.get("action")
        if action == "ping":
            await self.send_json({"type": "pong"})
            return
        if action not in ("send", "read"):
            await self._error("invalid", "unknown action")
            return
        principal = await database_sync_to_async(tickets.principal_refresh)(self.principal)
        if principal is None:
            await self.send_json({"type": "session_ended"})
            await self.close(code=CLOSE_UNAUTHORISED)
            return
        self.principal = principal
        try:
            if action == "send":
                body, client_id = content.get("body"), content.get("client_id") or ""
                if not isinstance(body, str) or not isinstance(client_id, str):
                    await self._error("invalid", "body and client_id must be strings", fields={"body": ["required"]})
                    return
                message = await database_sync_to_async(_send)(principal, self.case, body, client_id)
                await self.send_json({"type": "sent", "client_id": client_id, "message": message})
            else:
                sequence = content.get("sequence")
                if sequence is not None and (not isinstance(sequence, int) or isinstance(sequence, bool)
                                             or sequence < 0):
                    await self._error("invalid", "sequence must be a non-negative integer",
                                      fields={"sequence": ["invalid"]})
                    return
                await database_sync_to_async(_read)(principal, self.case, sequence)
        except Exception as exc:  # noqa: BLE001 - a refusal is answered, the socket stays open
            from core.errors import DomainError

            if not isinstance(exc, DomainError):
                raise
            await self._error(exc.code, str(exc.message), fields=exc.fields)
            if exc.status_code == 404:  # the case left the principal's reach since connecting
                await self.close(code=CLOSE_FORBIDDEN)

    async def _error(self, code, message, fields=None):
        await self.send_json({"type": "error", "code": code, "message": message, "fields": fields or {}})

    async def realtime_event(self, message):
        if message.get("group") != getattr(self, "group", None) or self.group not in self.groups_joined:
            return  # the own group is joined for control messages only
        # The socket outlives the check made on connect: a message text reaches only somebody who may read it NOW
        # (an account disabled, a nurse moved out of the ward or stripped of the permission hears nothing more).
        principal, case = await database_sync_to_async(_reauthorise)(self.principal, self.case.uuid)
        if principal is None or case is None:
            await self.disconnect(None)  # leave the groups now: nothing more is delivered to this socket
            if principal is None:
                await self.send_json({"type": "session_ended"})
            else:
                await self._error("not_found", "this conversation is no longer yours to follow")
            await self.close(code=CLOSE_UNAUTHORISED if principal is None else CLOSE_FORBIDDEN)
            return
        self.principal = principal
        await self.send_json(
            {"type": "event", "group": message["group"], "event": message["event"], "payload": message["payload"]}
        )

    async def realtime_session_ended(self, message):
        ended = message.get("sid")
        if ended is not None and self.sid is not None and ended != self.sid:
            return
        await self.send_json({"type": "session_ended"})
        await self.close(code=CLOSE_UNAUTHORISED)
