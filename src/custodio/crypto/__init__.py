"""The one importer of the crypto libraries: keep every module here short and obvious."""
