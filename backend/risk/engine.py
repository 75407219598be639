"""The adapter to the risk engine built in `ml_models/` (one onnxruntime session per graph, loaded once a process).

Everything in the risk app reaches the engine through `get_engine()`, so tests and the server share the same
singleton and the ONNX graphs are loaded on first use rather than at import (management commands that never
predict do not pay for it).
"""

import logging
import sys
import threading

from django.conf import settings

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_engine = None


def _import_engine_module():
    try:
        from ml_models import engine as module
    except ModuleNotFoundError as exc:
        if exc.name not in ("ml_models", "ml_models.engine"):
            raise
        # `manage.py` puts only backend/ on sys.path; ml_models lives beside it at the repository root.
        root = str(settings.REPO_DIR)
        if root in sys.path:
            raise
        sys.path.append(root)
        from ml_models import engine as module
    return module


def get_engine():
    """The process-wide engine (thread-safe first load). A graph or specification that cannot be loaded is a
    server fault: RiskEngineUnavailable (503), never a half-loaded engine or a silently empty default."""
    global _engine
    if _engine is None:
        with _lock:
            if _engine is None:
                try:
                    _engine = _import_engine_module().default_engine()
                except Exception as exc:
                    from risk.errors import RiskEngineUnavailable

                    logger.exception("risk engine failed to load")
                    raise RiskEngineUnavailable() from exc
    return _engine


def input_error_class():
    get_engine()
    return _import_engine_module().InputError


def model_catalogue() -> list[dict]:
    return get_engine().catalogue()


def default_screening_rules() -> dict:
    return get_engine().default_screening_rules()
