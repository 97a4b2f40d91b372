"""The emulated Gong resources, one module each: the handlers the route table points at.

A handler takes the routed :class:`~airflow_provider_gong.testing.inputs.Request` and returns an
:class:`~airflow_provider_gong.testing.asgi.Answer`. Authentication, scopes, faults, rate limits and the
stats are handled before it is called (see :mod:`airflow_provider_gong.testing.app`); a malformed input
raises :class:`~airflow_provider_gong.testing.envelope.BadRequestError` (a 400).

To emulate another resource (calls: ``listCalls``, ``getCall``, ``listCallsExtensive``,
``getCallTranscripts``), add a module here with its handlers and data, and its entries to
:data:`airflow_provider_gong.testing.routes.TABLE`.
"""
