"""Sensors of the Gong provider."""
