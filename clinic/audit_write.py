"""Writing an audit event (clinic.audit decides what is recorded; this writes it, in as few statements as the
database allows).

A logged session's event is one INSERT. An event that names the patients a page or export contained is the
event's INSERT and its patients' INSERT inside a transaction, except on PostgreSQL, where both are one
statement (a data-modifying WITH): written whole or not at all, in one round trip instead of four (BEGIN,
the event, its patients, COMMIT).
"""

from __future__ import annotations

from django.db import connection

from clinic.models import AuditEvent, AuditEventPatient


def one_statement(contained: list[int] | None) -> bool:
    """Whether an event (and the patients it contained) is written in a single statement."""
    return not contained or connection.vendor == "postgresql"


def event_create(*, clinic_id: int | None, patient_id: int | None, contained: list[int] | None,
                  **fields) -> AuditEvent:
    row = {"clinic_id": clinic_id, "patient_id": patient_id,
           "patient_count": None if contained is None else len(contained), **fields}
    if contained and connection.vendor == "postgresql":
        return event_with_patients_insert(AuditEvent(**row), contained[:AuditEvent.PATIENTS_KEPT])
    event = AuditEvent.objects.create(**row)
    if contained:
        AuditEventPatient.objects.bulk_create(
            AuditEventPatient(event=event, patient_id=pid) for pid in contained[:AuditEvent.PATIENTS_KEPT])
    return event


def event_with_patients_insert(event: AuditEvent, patient_ids: list[int]) -> AuditEvent:
    """The event and the patients it contained in one INSERT statement (PostgreSQL: a data-modifying WITH).

    A list page's event was four round trips (BEGIN, the event, its patients, COMMIT); one statement is
    written whole or not at all, like the transaction it replaces.
    """
    fields = [field for field in AuditEvent._meta.concrete_fields if not field.primary_key]
    values = [field.get_db_prep_save(field.pre_save(event, add=True), connection) for field in fields]
    link = AuditEventPatient._meta
    quote = connection.ops.quote_name
    # Table and column names come from the models, quoted by the backend; every value is a parameter.
    sql = (
        f"WITH event AS (INSERT INTO {quote(AuditEvent._meta.db_table)} "  # nosec B608 -- quoted names
        f"({', '.join(quote(field.column) for field in fields)}) VALUES ({', '.join(['%s'] * len(fields))}) "
        f"RETURNING {quote(AuditEvent._meta.pk.column)}) "
        f"INSERT INTO {quote(link.db_table)} ({quote(link.get_field('event').column)}, "
        f"{quote(link.get_field('patient_id').column)}) "
        f"SELECT event.{quote(AuditEvent._meta.pk.column)}, contained.patient_id FROM event, "
        f"unnest(%s::bigint[]) WITH ORDINALITY AS contained(patient_id, position) ORDER BY contained.position "
        f"RETURNING {quote(link.get_field('event').column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, list(patient_ids)])
        event.pk = cursor.fetchone()[0]
    event._state.adding = False
    return event
