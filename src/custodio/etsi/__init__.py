"""The wire formats of the standards, described once, below both handover and assembly.

- :mod:`custodio.etsi.li_ps_pdu` — the PS-PDU (TS 102 232-1, with the parts of TS 102 232-5
  and -6 a voice intercept carries) described once, as data: the decoder
  (:mod:`custodio.etsi.pdu`), the encoder (:mod:`custodio.etsi.encode`), the receiver's
  recognised layouts and assembly's CC templates take its tags and limits;
- :mod:`custodio.etsi.tbcd` — TBCD strings and the MAP identities built on them (IMSI,
  IMEI, ``AddressString``: 3GPP TS 29.002 clause 17.7.8);
- :mod:`custodio.etsi.isdn` — ISUP and DSS1 party numbers (EN 300 356, EN 300 403-1);
- :mod:`custodio.etsi.sms` — the SMS TPDU (3GPP TS 23.040) and its alphabets (TS 23.038).

Every decoder is bounded and raises nothing but :class:`custodio.etsi.errors.FieldError`
(a :class:`custodio.errors.DecodeError`) naming the field and what was wrong with it.
"""
