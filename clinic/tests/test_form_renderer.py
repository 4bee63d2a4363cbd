"""clinic.form_renderer: every form, once refused, opens on its first field in error (settings.FORM_RENDERER)."""

from django import forms

from clinic.form_renderer import ErrorAwareBoundField


class Example(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)
    name = forms.CharField()
    quad_lsi_pct = forms.DecimalField(max_value=200)
    hop_lsi_pct = forms.DecimalField(max_value=200)


def test_the_project_renderer_is_used_by_every_form():
    assert isinstance(Example()["name"], ErrorAwareBoundField)


def test_only_the_first_visible_field_in_error_takes_the_focus():
    form = Example({"token": "", "name": "Ada", "quad_lsi_pct": "250", "hop_lsi_pct": "300"})
    assert not form.is_valid()
    html = {name: str(form[name]) for name in form.fields}
    assert "autofocus" not in html["token"]  # hidden: focusing it would scroll nowhere
    assert "autofocus" in html["quad_lsi_pct"] and 'aria-invalid="true"' in html["quad_lsi_pct"]
    assert "autofocus" not in html["hop_lsi_pct"] and 'aria-invalid="true"' in html["hop_lsi_pct"]
    assert "aria-invalid" not in html["name"] and "autofocus" not in html["name"]
    assert 'value="250"' in html["quad_lsi_pct"]  # what was typed stays


def test_an_unbound_or_valid_form_takes_no_focus():
    assert "autofocus" not in Example().as_div()
    valid = Example({"token": "t", "name": "Ada", "quad_lsi_pct": "90", "hop_lsi_pct": "95"})
    assert valid.is_valid() and "autofocus" not in valid.as_div() and "aria-invalid" not in valid.as_div()
