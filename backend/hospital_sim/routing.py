"""The simulator's route table and request helpers, shared by server.py and the route modules beside it.

A route module registers handlers on `routes` and keeps its mutable state in `state.extra[<its name>]` under
`state.lock` (cleared by /_sim/reset)::

    from hospital_sim.routing import HttpError, routes

    @routes.add("POST", "/fhir/Encounter")
    def encounter_create(state, m, q, body, headers):
        ...
        return 201, {...}
"""

from __future__ import annotations

import re


class HttpError(Exception):
    def __init__(self, status: int, code: str, message: str):
        self.status, self.code, self.message = status, code, message
        super().__init__(message)


class Routes:
    """Route table: (method, regex) → handler(state, match, query, body, headers) → (status, payload)."""

    def __init__(self):
        self.table: list[tuple[str, re.Pattern, object]] = []

    def add(self, method, pattern):
        def deco(fn):
            self.table.append((method, re.compile(f"^{pattern}$"), fn))
            return fn
        return deco

    def resolve(self, method, path):
        allowed = False
        for m, rx, fn in self.table:
            match = rx.match(path)
            if match:
                if m == method:
                    return fn, match
                allowed = True
        if allowed:
            raise HttpError(405, "method_not_allowed", f"{method} not allowed on {path}")
        raise HttpError(404, "not_found", f"no route for {path}")


routes = Routes()


def one(query, name, default=None):
    values = query.get(name)
    return values[0] if values else default


def require(body: dict, *names):
    missing = [n for n in names if body.get(n) in (None, "")]
    if missing:
        raise HttpError(400, "missing_fields", "missing: " + ", ".join(missing))


def module_state(state, name: str, factory=dict):
    """A route module's own mutable state inside the simulator state (created on first use, reset with it)."""
    with state.lock:
        if name not in state.extra:
            state.extra[name] = factory()
        return state.extra[name]
