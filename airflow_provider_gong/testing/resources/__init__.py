"""The emulated Gong resources, one module each: the handlers the route table points at.

A handler takes the routed :class:`~airflow_provider_gong.testing.inputs.Request` and returns an
:class:`~airflow_provider_gong.testing.asgi.Answer`. Authentication, scopes, faults, rate limits and the
stats are handled before it is called (see :mod:`airflow_provider_gong.testing.app`; a scope needed only
for a body flag by :func:`airflow_provider_gong.testing.routes.flag_scoped`); a malformed input
raises :class:`~airflow_provider_gong.testing.envelope.BadRequestError` (a 400).

Modules: :mod:`~airflow_provider_gong.testing.resources.users` (``listUsers``, ``getUser``,
``getUserHistory``, ``listMultipleUsers``) and :mod:`~airflow_provider_gong.testing.resources.calls`
(``listCalls``, ``getCall``, ``listCallsExtensive``, ``getCallTranscripts``). To emulate another resource,
add a module here with its handlers (its data in a module of :mod:`airflow_provider_gong.testing`), and its
entries to :data:`airflow_provider_gong.testing.routes.TABLE`.
"""
