"""The one WebSocket endpoint: ws/events/?ticket=<single-use ticket>.

On connect the ticket is consumed and the policies decide the groups; afterwards the client may send
{"action": "subscribe", "case": "<uuid>"} / {"action": "unsubscribe", "case": "<uuid>"} / {"action": "ping"}.
Server messages: {"type": "ready", "groups": [...]}, {"type": "event", "group", "event", "payload"},
{"type": "subscribed" | "unsubscribed", "case"}, {"type": "error", "code", "message"}, {"type": "pong"},
{"type": "session_ended"} right before the server closes the socket with 4401 because its login session was
logged out or the account was disabled (realtime.publisher.end_sessions_on_commit).
"""

from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from realtime import policies, tickets

CLOSE_UNAUTHORISED = 4401


class EventsConsumer(AsyncJsonWebsocketConsumer):
    principal = None
    sid = None  # login session of the token the ticket was obtained with

    async def connect(self):
        self.groups_joined = set()
        query = parse_qs(self.scope.get("query_string", b"").decode("latin1"))
        ticket = (query.get("ticket") or [None])[0]
        principal, sid = await database_sync_to_async(tickets.ticket_consume_session)(ticket)
        if principal is None:
            await self.close(code=CLOSE_UNAUTHORISED)  # before accept: the handshake is refused (HTTP 403)
            return
        self.principal, self.sid = principal, sid
        groups = await database_sync_to_async(policies.initial_groups)(principal)
        for group in groups:
            await self._join(group)
        await self.accept()
        await self.send_json({"type": "ready", "groups": sorted(self.groups_joined)})

    async def disconnect(self, code):
        for group in list(getattr(self, "groups_joined", ())):
            await self.channel_layer.group_discard(group, self.channel_name)
        self.groups_joined = set()

    async def _join(self, group):
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.add(group)

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict):
            await self._error("invalid", "expected a JSON object")
            return
        action = content.get("action")
        if action == "ping":
            await self.send_json({"type": "pong"})
        elif action == "subscribe":
            # Decide on the principal as it is now: disabled since connecting → the socket is closed;
            # changed wards or permissions apply (the connect-time object caches them).
            principal = await database_sync_to_async(tickets.principal_refresh)(self.principal)
            if principal is None:
                await self.close(code=CLOSE_UNAUTHORISED)
                return
            self.principal = principal
            group = await database_sync_to_async(policies.can_subscribe_case)(self.principal, content.get("case"))
            if group is None:
                await self._error("not_found", "no such case", case=content.get("case"))
                return
            await self._join(group)
            await self.send_json({"type": "subscribed", "case": str(content.get("case"))})
        elif action == "unsubscribe":
            group = f"case.{content.get('case')}"
            if group in self.groups_joined:
                await self.channel_layer.group_discard(group, self.channel_name)
                self.groups_joined.discard(group)
            await self.send_json({"type": "unsubscribed", "case": str(content.get("case"))})
        else:
            await self._error("invalid", "unknown action")

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        try:
            await super().receive(text_data=text_data, bytes_data=bytes_data, **kwargs)
        except ValueError:  # not JSON
            await self._error("invalid", "expected a JSON object")

    async def _error(self, code, message, **extra):
        case = extra.get("case")
        body = {"type": "error", "code": code, "message": message}
        if case is not None:
            body["case"] = str(case)[:64]
        await self.send_json(body)

    async def realtime_event(self, message):
        if message.get("group") not in self.groups_joined:
            return
        await self.send_json(
            {"type": "event", "group": message["group"], "event": message["event"], "payload": message["payload"]}
        )

    async def realtime_session_ended(self, message):
        """Control message: close when our session ended (sid None = every session of the principal; a socket
        whose ticket carried no sid is closed by any of its principal's logouts)."""
        ended = message.get("sid")
        if ended is not None and self.sid is not None and ended != self.sid:
            return
        await self.send_json({"type": "session_ended"})
        await self.close(code=CLOSE_UNAUTHORISED)
