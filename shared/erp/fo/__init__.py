"""Dynamics 365 Finance & Operations adapter (facts: finance-operations.md, dynamics.md §2)."""
