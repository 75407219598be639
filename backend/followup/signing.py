"""The voice platform's signed result callbacks (F1/F3): a system client, not a logged-in user.

Same scheme as every system client (booking.signing): X-Client-Id, X-Timestamp (unix seconds), X-Nonce (8–64
url-safe characters, single use), X-Signature = hex HMAC-SHA256(secret, "<timestamp>\\n<nonce>\\n<METHOD>\\n<path>\\n"
+ hex SHA-256(body)). Clients: settings.FOLLOWUP_VOICE_CLIENTS only — the voice
vendor is outside the hospital, so the HIS's key must not be able to forge follow-up answers. A stale timestamp, a
nonce seen before or a wrong signature is refused with 401 before anything is read.
"""

from booking.signing import nonces_purge, signed_request_verify
from followup.conf import conf, voice_clients
from followup.errors import CallbackSignatureRefused
from followup.models import VoiceCallbackNonce


def callback_verify(*, headers, method: str, path: str, body: bytes) -> str:
    return signed_request_verify(
        headers=headers, method=method, path=path, body=body, clients=voice_clients(),
        window_seconds=conf("FOLLOWUP_CALLBACK_WINDOW_SECONDS"), nonce_model=VoiceCallbackNonce,
        refused=CallbackSignatureRefused,
    )


def purge_nonces(*, now=None) -> int:
    return nonces_purge(VoiceCallbackNonce, conf("FOLLOWUP_CALLBACK_WINDOW_SECONDS"), now=now)
