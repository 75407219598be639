"""The theatre system's signed callbacks (S1 a): the theatre is a system client, not a logged-in user.

Same scheme as the HIS workstation launches (booking.signing, hospital_sim.server.his_signature):

    X-Client-Id, X-Timestamp (unix seconds), X-Nonce (8–64 url-safe characters, unique per request),
    X-Signature: hex(HMAC-SHA256(secret, "<timestamp>\\n<nonce>\\n<METHOD>\\n<path>\\n" + hex(SHA256(body))))

Clients: settings.SCHEDULING_THEATRE_CLIENTS, else BOOKING_HIS_CLIENTS (one integration-platform key). A timestamp
outside the window, a nonce seen before or a wrong signature is refused with 401 before anything is read.
"""

from booking.signing import nonces_purge, signed_request_verify
from scheduling.conf import conf, theatre_clients
from scheduling.errors import CallbackSignatureRefused
from scheduling.models import TheatreCallbackNonce


def callback_verify(*, headers, method: str, path: str, body: bytes) -> str:
    """The client id of a correctly signed, fresh, first-seen callback; else CallbackSignatureRefused (401)."""
    return signed_request_verify(
        headers=headers, method=method, path=path, body=body, clients=theatre_clients(),
        window_seconds=conf("SCHEDULING_CALLBACK_WINDOW_SECONDS"), nonce_model=TheatreCallbackNonce,
        refused=CallbackSignatureRefused,
    )


def purge_nonces(*, now=None) -> int:
    return nonces_purge(TheatreCallbackNonce, conf("SCHEDULING_CALLBACK_WINDOW_SECONDS"), now=now)
