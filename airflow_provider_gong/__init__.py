"""Apache Airflow provider for Gong, the revenue-intelligence platform.

Importing this package is cheap on purpose: Airflow imports the provider's entry point at every
start, so nothing here may import ``airflow`` or ``requests``.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
