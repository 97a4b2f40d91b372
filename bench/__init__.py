"""Benchmarks of airflow-provider-gong against the Gong emulator: ``python -m bench [--quick]``."""
