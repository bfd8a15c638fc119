"""cti/sim package."""
