"""Ports: one Protocol per external system, with typed DTOs. Adapters live in integrations.adapters.

Services depend only on these Protocols and get an adapter from `integrations.registry.get_port(name)`.
"""
