"""The composition root: where the running service is put together from its parts.

Only this package imports every stage. ``custodio serve`` (:mod:`custodio.app.server`)
wires the handover receiver, the assembler in its own process
(:mod:`custodio.app.assembly_process`), the journal archive, the classification jobs and
the audit checkpoints around one :class:`~custodio.access.service.Service`;
:mod:`custodio.app.maintenance` runs archive and assembly by hand on a stopped service;
:mod:`custodio.app.local` holds the [local] commands that the installed ``custodio``
(:mod:`custodio.client.main`, the API's client) loads only when one is run.
"""
