"""Backstep rows as FHIR R4 resources: one module per Backstep concept, each a pure function row -> dict.

The dicts are plain JSON (no Decimal, no date objects), so they can be written
to a response, an NDJSON file or a Bundle as they are. `meta` is added by the
registry (`fhir/registry.py`), which knows when each row last changed.
"""
