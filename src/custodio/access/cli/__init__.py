"""The [local] commands over the service layer: those that run on the service's own machine
and open its data directory (``init``, ``agency add``, ``vault``, ``handover report``,
``audit checkpoint|verify-catalog``, ``simulate``). The users' commands are the API's
clients: :mod:`custodio.client`."""
