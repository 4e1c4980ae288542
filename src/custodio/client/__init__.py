"""The ``custodio`` command as the service's client.

Everything a user does — an investigator, a judge, a warrant officer, an interpreter, an
auditor, an administrator of users — goes to the running service through its API
(:mod:`custodio.access.api`): the same policy, purpose rule and audit entries as every
other face, and no key, catalog or vault on the user's side. This package imports nothing
of the service (an import-linter contract): only :mod:`custodio.errors` and
:mod:`custodio.config`'s environment helpers, the standard library and click, so that a
command starts in a few tens of milliseconds.

The commands that run or administer the service on its own machine (``init``, ``serve``,
``assemble``, ``vault``, ``handover``, ``audit checkpoint``, ...) open the data directory
themselves; :mod:`custodio.client.main` loads them only when one of them is run.
"""
