"""cti/agi package."""
