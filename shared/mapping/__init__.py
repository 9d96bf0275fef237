"""Mapping that merchants own: which ERP item a Woo SKU is, and (later) declarative field mapping."""
