"""Operators of the Gong provider."""
