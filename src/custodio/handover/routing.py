"""What the journal keeps beside each PDU: its routing block, from the decoded PDU."""

from __future__ import annotations

from custodio.etsi.pdu import DecodedPDU, Direction
from custodio.journal.format import Routing


def to_routing(pdu: DecodedPDU, channel: int, connection: str) -> Routing:
    """The journal's routing block for a decoded PDU (``channel`` 2 = HI2, 3 = HI3)."""
    subkind = 255
    direction: Direction | None = None
    if pdu.iri:
        kind_type = pdu.iri[0].effective_type
        subkind = 255 if kind_type is None else int(kind_type)
        direction = pdu.iri[0].direction
    elif pdu.cc:
        subkind = pdu.cc[0].contents_tag & 0xFF
        direction = pdu.cc[0].direction
    elif pdu.tri is not None:
        subkind = pdu.tri.tag & 0xFF
    return Routing(
        channel=channel,
        payload_kind=pdu.kind if 0 <= pdu.kind < 255 else 255,
        subkind=subkind,
        direction=255 if direction is None or direction < 0 else int(direction),
        pdu_seq=pdu.sequence_number,
        liid=pdu.liid,
        operator_id=pdu.operator_id,
        network_element_id=pdu.network_element_id or b"",
        cin=pdu.cin,
        quirks=bool(pdu.quirks),
        connection=connection,
    )
