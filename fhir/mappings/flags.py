"""A flag raised about a patient as a Flag: active while open or acknowledged, category clinical."""

from __future__ import annotations

from fhir.mappings.common import FLAG_CATEGORY, FLAG_KINDS, canonical, coding, instant, reference


def flag_resource(flag) -> dict:
    reasons = [str(reason) for reason in (flag.reasons or []) if reason]
    period = {"start": instant(flag.created_at)}
    if flag.resolved_at:
        period["end"] = instant(flag.resolved_at)
    return {
        "resourceType": "Flag",
        "id": str(flag.pk),
        "status": "inactive" if flag.status == "resolved" else "active",
        "category": [{"coding": [coding(FLAG_CATEGORY, "clinical", "Clinical")]}],
        "code": {"coding": [coding(canonical(FLAG_KINDS), flag.kind, flag.get_kind_display())],
                 "text": " ".join(reasons) or flag.get_kind_display()},
        "subject": reference("Patient", flag.patient_id),
        "period": period,
    }
