"""``custodio login|logout|totp|session``: sessions and the second factor."""

from __future__ import annotations

import click

from custodio import config
from custodio.access import second_factor, sessions
from custodio.access.cli import session_file
from custodio.access.cli.context import Context, pass_context, read_password, read_secret
from custodio.access.service import OneTimeCodeNeeded
from custodio.db.times import to_text
from custodio.errors import InvalidInput, SessionExpired


@click.command()
@pass_context
def login(ctx: Context) -> None:
    """Log in once (password, and a one-time code where you enrolled one); the commands
    after it act in that session until it expires or you log out."""
    if not ctx.user:
        raise InvalidInput("log in as whom?", hint="give --user NAME or set CUSTODIO_USER")
    svc = ctx.service()
    password = read_password(f"password for {ctx.user}")
    otp = config.secret("OTP")
    try:
        issued = sessions.start(svc, ctx.user, password, otp)
    except OneTimeCodeNeeded:
        if otp is not None:
            raise
        issued = sessions.start(svc, ctx.user, password, read_secret("OTP", "one-time code"))
    ends = to_text(issued.expires_at)
    saved = session_file.Saved(issued.session.name, issued.token, ends, str(ctx.data_dir))
    session_file.save(ctx.data_dir, saved)
    click.echo(f"logged in as {issued.session.name} until {ends} at the latest")


@click.command()
@pass_context
def logout(ctx: Context) -> None:
    """End the session that `custodio login` opened for this data directory."""
    if session_file.load(ctx.data_dir) is None:
        raise InvalidInput("not logged in to this data directory")
    try:
        sessions.end(ctx.service(), ctx.session())
    except SessionExpired:  # Context.session() forgot it
        click.echo("logged out (the session had already ended)")
        return
    session_file.remove(ctx.data_dir)
    click.echo("logged out")


@click.group()
def totp() -> None:
    """Your second factor: a TOTP authenticator app (RFC 6238)."""


@totp.command("enrol")
@pass_context
def totp_enrol(ctx: Context) -> None:
    """Make a new secret for your authenticator app (shown once); confirm it with
    `custodio totp confirm` before it takes effect."""
    enrolment = second_factor.enrol(ctx.service(), ctx.session())
    click.echo(f"secret (shown once): {enrolment.secret}")
    click.echo(f"authenticator URI: {enrolment.uri}")
    click.echo("add it to your app, then confirm with a code: custodio totp confirm")


@totp.command("confirm")
@pass_context
def totp_confirm(ctx: Context) -> None:
    """Confirm the new secret with the code your app shows (CUSTODIO_OTP or a prompt)."""
    session = ctx.session()
    code = read_secret("OTP", "one-time code")
    second_factor.confirm(ctx.service(), session, code)
    click.echo("second factor enrolled: log in with its codes from now on (custodio login)")


@click.group("session")
def session_group() -> None:
    """Users' login sessions (administrators)."""


@session_group.command("revoke")
@click.argument("user")
@pass_context
def session_revoke(ctx: Context, user: str) -> None:
    """End every session of USER at once."""
    count = sessions.revoke(ctx.service(), ctx.session(), user)
    click.echo(f"{count} session(s) of {user!r} ended")


COMMANDS = [login, logout, totp, session_group]
