"""Adapters: the real protocol implementations of the ports (chosen by settings.INTEGRATION_ADAPTERS)."""
