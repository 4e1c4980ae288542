"""The ``custodio`` command line: thin verbs over the service layer."""
