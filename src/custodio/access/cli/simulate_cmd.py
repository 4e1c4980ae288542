"""``custodio simulate``: play an operator's mediator against a running ``custodio serve``."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import click

from custodio.config import Address, Settings
from custodio.errors import InvalidInput
from custodio.handover.operators import client_context
from custodio.simulator.mediator import PROFILES, Faults, Options, SimulatorError, simulate


def _endpoint(text: str) -> tuple[str, int]:
    address = Address.parse(text)
    return address.host, address.port


def _faults(drop: float, duplicate: float, reorder: float, corrupt: float, cut: float) -> Faults:
    values = (drop, duplicate, reorder, corrupt, cut)
    if not all(0.0 <= v <= 1.0 for v in values):
        raise InvalidInput("fault probabilities must be between 0 and 1", hint="e.g. --drop 0.01")
    return Faults(drop, duplicate, reorder, corrupt, cut)


@click.command()
@click.option("--hi2", metavar="HOST:PORT", default=str(Settings.hi2), show_default=True)
@click.option("--hi3", metavar="HOST:PORT", default=str(Settings.hi3), show_default=True)
@click.option("--profile", type=click.Choice(PROFILES), default="mobile", show_default=True)
@click.option("--calls", type=click.IntRange(min=0), default=1, show_default=True)
@click.option("--sms", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--concurrency", type=click.IntRange(min=1), default=1, show_default=True,
              help="Calls in progress at once.")  # fmt: skip
@click.option("--connections", type=click.IntRange(min=1), default=1, show_default=True,
              help="TCP connections per port; calls are spread over them.")  # fmt: skip
@click.option("--duration", type=click.FloatRange(min=0.02), default=5.0, show_default=True,
              help="Seconds of audio per call (50 packets/s per direction).")  # fmt: skip
@click.option("--fast", is_flag=True, help="Do not pace audio in real time (tests, benchmarks).")
@click.option("--operator", default="OPERADOR-ES", show_default=True,
              help="operatorIdentifier in the PDU headers.")  # fmt: skip
@click.option("--targets", type=click.IntRange(min=1), default=10, show_default=True,
              help="Distinct LIIDs the calls are spread over: ES-LIID-0000 (its target "
                   "+34600111222), ES-LIID-0001 (+34600111223)...")  # fmt: skip
@click.option("--ack-every", type=click.IntRange(min=0), default=0, metavar="N",
              help="Ask for a durable acknowledgement every N PDUs per link.")  # fmt: skip
@click.option("--keepalive", type=click.FloatRange(min=0.01), default=10.0, show_default=True,
              metavar="SECONDS", help="Keep-alive interval per link.")  # fmt: skip
@click.option("--reconnect-timeout", type=click.FloatRange(min=0), default=10.0, show_default=True)
@click.option("--seed", type=int, help="Random seed (faults, numbers, CINs) [default: fresh].")
@click.option("--drop", type=float, default=0.0, help="Probability of dropping a PDU.")
@click.option("--duplicate", type=float, default=0.0, help="Probability of sending a PDU twice.")
@click.option("--reorder", type=float, default=0.0, help="Probability of swapping with the next.")
@click.option("--corrupt", type=float, default=0.0, help="Probability of corrupting a PDU.")
@click.option("--cut", type=float, default=0.0, help="Probability per PDU of cutting the link.")
@click.option("--tls-ca", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CA certificate of the receiver: connect with TLS.")  # fmt: skip
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The operator's client certificate (PEM).")  # fmt: skip
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--ledger", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the SHA-256 of each acknowledged PDU here.")  # fmt: skip
@click.option(
    "--sms-text",
    "sms_texts",
    multiple=True,
    metavar="TEXT",
    help="What an SMS says (repeatable; each SMS picks one) [default: built in].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def simulate_cmd(**kw: object) -> None:
    """Play an operator: deliver HI2/HI3 PS-PDUs of calls and SMS to custodio serve.

    It connects to both ports, sends keep-alives and expects their responses, and
    reconnects when a link drops. Profile mobile: TS 101 671 IRI with PSTN or IPMMCC RTP
    CC; profile voip: IPMMIRI SIP dialogs with IP/UDP/RTP CC. The target makes the even
    calls and receives the odd ones. Audio is G.711 A-law, spoken by espeak-ng (Spanish
    and English) when it and sox are installed (else a tone, with a warning).
    """
    options = _options(kw)
    report = asyncio.run(simulate(options))
    if report.audio == "tone":
        click.echo("custodio: warning: espeak-ng and sox are not installed, so the calls carry "
                   "a tone and there will be no speech to transcribe (Debian: sudo apt-get "
                   "install espeak-ng sox)", err=True)  # fmt: skip
    ledger = kw["ledger"]
    if isinstance(ledger, Path):
        ledger.write_text("".join(f"{d}\n" for d in report.acked), "ascii")
    summary = report.summary()
    if kw["as_json"]:
        click.echo(json.dumps(summary, indent=2))
    else:
        for key, value in summary.items():
            if key != "error":  # said once, below, as the command's error
                click.echo(f"{key}: {value}")
    if report.error:
        raise SimulatorError(report.error)


def _options(kw: dict[str, object]) -> Options:
    tls = None
    if kw["tls_ca"] is not None:
        tls = client_context(kw["tls_ca"], kw["tls_cert"], kw["tls_key"])  # type: ignore[arg-type]
    return Options(
        hi2=_endpoint(str(kw["hi2"])),
        hi3=_endpoint(str(kw["hi3"])),
        profile=str(kw["profile"]),
        calls=int(kw["calls"]),  # type: ignore[call-overload]
        sms=int(kw["sms"]),  # type: ignore[call-overload]
        concurrency=int(kw["concurrency"]),  # type: ignore[call-overload]
        connections=int(kw["connections"]),  # type: ignore[call-overload]
        duration=float(kw["duration"]),  # type: ignore[arg-type]
        realtime=not kw["fast"],
        operator=str(kw["operator"]).encode(),
        targets=int(kw["targets"]),  # type: ignore[call-overload]
        ack_every=int(kw["ack_every"]),  # type: ignore[call-overload]
        keepalive=float(kw["keepalive"]),  # type: ignore[arg-type]
        reconnect_timeout=float(kw["reconnect_timeout"]),  # type: ignore[arg-type]
        seed=None if kw["seed"] is None else int(kw["seed"]),  # type: ignore[call-overload]
        faults=_faults(*(float(kw[k]) for k in ("drop", "duplicate", "reorder", "corrupt", "cut"))),  # type: ignore[arg-type]
        tls=tls,
        ledger=kw["ledger"] is not None,
        sms_texts=tuple(str(t) for t in kw["sms_texts"]),  # type: ignore[attr-defined]
    )


simulate_cmd.name = "simulate"
COMMANDS = [simulate_cmd]
