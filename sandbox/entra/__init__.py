"""Entra ID emulator (client-credentials tokens) for the sandbox."""

from sandbox.entra.app import BC_SCOPE, EntraEmulator
from sandbox.entra.tokens import TokenInfo, TokenRegistry

__all__ = ["BC_SCOPE", "EntraEmulator", "TokenInfo", "TokenRegistry"]
