"""Voice platform port (智能语音随访): start an automated call, fetch its outcome later."""

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class VoiceCall:
    call_id: str
    status: str  # "queued" at start


@dataclass(frozen=True)
class VoiceCallResult:
    call_id: str
    status: str  # "completed" | "no_answer" | "failed" | "in_progress"
    answered: bool
    duration_seconds: int = 0
    answers: dict = field(default_factory=dict)  # question key → keypress / recognised answer
    transcript: str = ""


class VoicePort(Protocol):
    def start_call(self, *, phone: str, scenario: str, params: dict, questions: list[str],
                   idempotency_key: str) -> VoiceCall: ...

    def fetch_result(self, call_id: str) -> VoiceCallResult | None: ...
