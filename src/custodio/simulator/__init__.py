"""The operator simulator: a tool that plays a CSP's mediator against Custodio (``custodio
simulate``, the tests, the benchmarks), not part of the receiver.

:mod:`~custodio.simulator.mediator` connects, delivers calls and SMS and answers the
link's keep-alives; :mod:`~custodio.simulator.media` makes the audio, RTP, IP/UDP and SDP
it carries. The PDUs themselves are written by :mod:`custodio.etsi.encode` and the
identities and SMS by :mod:`custodio.etsi`.
"""
