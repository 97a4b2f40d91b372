"""The client core: Gong's API over HTTP, without Airflow.

Settings resolved from a connection's fields, one transport per flavour (:mod:`.sync` on ``requests``,
:mod:`.aio` on ``httpx``) sharing one answer decoder (:mod:`.decode`), one retry policy (:mod:`.retry`)
and the pacer (:mod:`.pacing`); generic paging (:mod:`.paging`) for every endpoint of
:mod:`airflow_provider_gong.endpoints`. The Airflow hook and trigger are thin shells over it.
"""
