"""The installed ``custodio`` command: the faces' commands and the service's own."""

from __future__ import annotations

import os
from collections.abc import Sequence

from custodio import datadir
from custodio.access.cli import main as faces
from custodio.app import commands, job_commands

for command in [*commands.COMMANDS, *job_commands.COMMANDS]:
    faces.utf8_text_only(command)
    faces.add(faces.cli, command)


def main(args: Sequence[str] | None = None) -> None:
    """``custodio ARGS`` (default: the command line's): see :func:`.faces.main`."""
    os.umask(datadir.PRIVATE_UMASK)  # whatever a command creates is its owner's only
    faces.main(args, faces.cli)


if __name__ == "__main__":
    main()
