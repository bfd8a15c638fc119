"""cti/ami package."""
