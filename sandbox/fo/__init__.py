"""Dynamics 365 Finance & Operations emulator (OData v4 at `/data/`): see README.md beside this file."""

from sandbox.fo.emulator import FoEmulator

__all__ = ["FoEmulator"]
