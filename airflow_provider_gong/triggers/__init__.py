"""Triggers of the Gong provider."""
