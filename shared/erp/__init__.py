"""The ERP port and one sub-package per ERP (bc/, fo/, gp/)."""
