"""How every Django form in Backstep renders its fields: a refused form opens where the problem is.

A form sent back with errors keeps what was typed (views re-render the bound
form) and shows each error beside its field; this renderer adds the last
part of the promise for every form at once, whatever template or crispy
layout draws it: the first field with an error gets `autofocus`, so the
browser scrolls it into view and puts the cursor there (no script needed,
which the Content-Security-Policy would refuse inline), and every field with
an error gets `aria-invalid="true"` for screen readers.
"""

from __future__ import annotations

from django.forms.boundfield import BoundField
from django.forms.renderers import DjangoTemplates


class ErrorAwareBoundField(BoundField):
    """A field that marks itself invalid, and takes the focus when it is the form's first field in error."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        form = self.form
        if not form.is_bound or not form.errors or self.name not in form.errors:
            return attrs
        attrs["aria-invalid"] = "true"
        first = next((name for name, field in form.fields.items()
                      if name in form.errors and not field.widget.is_hidden), None)
        if first == self.name:
            attrs["autofocus"] = True
        return attrs


class BackstepFormRenderer(DjangoTemplates):
    """Django's template renderer, with fields that point to their own errors (settings.FORM_RENDERER)."""

    bound_field_class = ErrorAwareBoundField
