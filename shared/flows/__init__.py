"""Use cases: the only place that combines WooCommerce, the ERP and storage."""
