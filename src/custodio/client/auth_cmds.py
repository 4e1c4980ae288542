"""``custodio login|logout|totp|session``: sessions and the second factor."""

from __future__ import annotations

import click

from custodio.client import session_file
from custodio.client.api import path_part
from custodio.client.context import Context, login, pass_context, read_password, read_secret
from custodio.errors import InvalidInput, SessionExpired


@click.command("login")
@pass_context
def login_cmd(ctx: Context) -> None:
    """Log in once (password, and a one-time code where you enrolled one); the commands
    after it act in that session until it expires or you log out."""
    if not ctx.user:
        raise InvalidInput("log in as whom?", hint="give --user NAME or set CUSTODIO_USER")
    password = read_password(f"password for {ctx.user}")
    issued = login(ctx.anonymous(), ctx.user, password)
    name, ends = issued["user"]["name"], issued["expires_at"]
    session_file.save(ctx.server, session_file.Saved(name, issued["token"], ends, ctx.server))
    click.echo(f"logged in as {name} until {ends} at the latest")


@click.command()
@pass_context
def logout(ctx: Context) -> None:
    """End the session that `custodio login` opened with this service."""
    if session_file.load(ctx.server) is None:
        raise InvalidInput("not logged in to this service", hint=f"--server is {ctx.server}")
    try:
        ctx.api().delete("/session")
    except SessionExpired:  # its file is gone already
        click.echo("logged out (the session had already ended)")
        return
    session_file.remove(ctx.server)
    click.echo("logged out")


@click.group()
def totp() -> None:
    """Your second factor: a TOTP authenticator app (RFC 6238)."""


@totp.command("enrol")
@pass_context
def totp_enrol(ctx: Context) -> None:
    """Make a new secret for your authenticator app (shown once); confirm it with
    `custodio totp confirm` before it takes effect."""
    enrolment = ctx.api().post("/me/totp")
    click.echo(f"secret (shown once): {enrolment['secret']}")
    click.echo(f"authenticator URI: {enrolment['uri']}")
    click.echo("add it to your app, then confirm with a code: custodio totp confirm")


@totp.command("confirm")
@pass_context
def totp_confirm(ctx: Context) -> None:
    """Confirm the new secret with the code your app shows (CUSTODIO_OTP or a prompt)."""
    api = ctx.api()
    code = read_secret("OTP", "one-time code")
    api.post("/me/totp/confirm", {"code": code})
    click.echo("second factor enrolled: log in with its codes from now on (custodio login)")


@click.group("session")
def session_group() -> None:
    """Users' login sessions (administrators)."""


@session_group.command("revoke")
@click.argument("user")
@pass_context
def session_revoke(ctx: Context, user: str) -> None:
    """End every session of USER at once."""
    count = ctx.api().delete(f"/users/{path_part(user)}/sessions")["sessions"]
    click.echo(f"{count} session(s) of {user!r} ended")


COMMANDS = [login_cmd, logout, totp, session_group]
