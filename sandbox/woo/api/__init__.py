"""REST API v3 route handlers."""
