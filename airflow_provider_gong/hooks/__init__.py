"""Hooks of the Gong provider."""
