"""The wire formats of the standards, described once, below both handover and assembly.

- :mod:`custodio.etsi.tbcd` — TBCD strings and the MAP identities built on them (IMSI,
  IMEI, ``AddressString``: 3GPP TS 29.002 clause 17.7.8);
- :mod:`custodio.etsi.isdn` — ISUP and DSS1 party numbers (EN 300 356, EN 300 403-1);
- :mod:`custodio.etsi.sms` — the SMS TPDU (3GPP TS 23.040) and its alphabets (TS 23.038).

Every decoder is bounded and raises nothing but :class:`custodio.etsi.errors.FieldError`
(a :class:`custodio.errors.DecodeError`) naming the field and what was wrong with it.
"""
