"""The assembly tests' line (simulator, listeners, journal, assembler) for classification."""

from tests.integration.assemble.conftest import line  # noqa: F401 (a fixture, used by name)
from tests.integration.cli_in_process import custodio, environment, service_url  # noqa: F401 (fixtures)
