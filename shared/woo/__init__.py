"""WooCommerce: webhook verification, Woo JSON to model (and the REST client)."""
