"""The access matrix's world serves the hardening tests too (every role, every state)."""

from tests.consortium.access.conftest import world  # noqa: F401
