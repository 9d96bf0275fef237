"""Local stand-ins for Azure and the outside systems. Never deployed (see .funcignore)."""
