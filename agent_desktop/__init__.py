"""agent_desktop package."""
