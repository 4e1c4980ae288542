"""The [local] commands: those that run or administer the service on its own machine and
open its data directory themselves (the catalog, the journal, the vault's key provider).

``custodio`` (:mod:`custodio.client.main`) names them and imports this module only when
one of them is run; the users' commands are the API's clients and never load it.
"""

from __future__ import annotations

import click

from custodio.access.cli import admin_cmds, audit_cmds, init_cmd, report_cmds, simulate_cmd
from custodio.access.cli import vault_cmds as _vault_cmds
from custodio.app import commands, job_commands

init = init_cmd.init
serve = commands.serve
assemble = commands.assemble
worker = job_commands.worker
simulate = simulate_cmd.simulate_cmd
agency = admin_cmds.agency
vault = _vault_cmds.vault
audit_checkpoint = audit_cmds.audit_checkpoint
audit_verify_catalog = audit_cmds.audit_verify_catalog


@click.group()
def handover() -> None:
    """The handover interfaces: the journal and what the operators delivered. [local]"""


for _command in (*commands.handover.commands.values(), *report_cmds.handover.commands.values()):
    handover.add_command(_command)
