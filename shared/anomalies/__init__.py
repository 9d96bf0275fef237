"""Anomaly flags (issue 16): a store's running statistics and the rules that flag an order or refund far
outside them (no I/O)."""
