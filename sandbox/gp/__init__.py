"""Dynamics GP emulator: legacy Web Services (SOAP, GP's own WSDL) and SBA REST behind Windows NTLM auth."""

from sandbox.gp.emulator import GpEmulator

__all__ = ["GpEmulator"]
