"""Forms of the export page and the erasure page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.models import Membership


class ExportStartForm(forms.Form):
    """Whole clinic, or one therapist's caseload (a FHIR Group)."""

    group = forms.TypedChoiceField(label=_("Patients"), required=False, coerce=int, empty_value=None,
                                   widget=forms.Select(attrs={"class": "form-select"}))

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        members = Membership.objects.filter(clinic=clinic).select_related("user").order_by("user__last_name", "pk")
        self.fields["group"].choices = [("", _("Every patient of the clinic"))] + [
            (m.user_id, _("Caseload of %(name)s") % {"name": m.user.get_full_name() or m.user.email})
            for m in members]


class ErasureForm(forms.Form):
    confirmation = forms.CharField(label=_("Type it again to confirm"), max_length=200, strip=True)
