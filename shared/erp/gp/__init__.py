"""Dynamics GP adapter (on premises): Web Services (SOAP) or Service Based Architecture (REST), NTLM auth."""
