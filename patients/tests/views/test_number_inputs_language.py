"""Number inputs in German and Spanish: a browser's <input type=number> only takes "2.5", never "2,5".

Django writes numbers in a template the language's way (2,5 in German); a number field given "2,5" shows
empty, so the log form once lost the plan's speed in German. Decimal fields are text boxes with the decimal
keyboard that show and take the language's separator (clinic/numbers.py); every field left as a number box
keeps machine numbers in its value, step, min and max.
"""

import re

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["de", "es"])
def test_the_log_forms_numbers_read_in_the_patients_language(client, world, language):
    world.patient_a1.language = language
    world.patient_a1.save(update_fields=["language"])
    client.force_login(world.patient_a1.user)
    body = client.get("/log/").content.decode()
    assert f'<html lang="{language}">' in body
    speed = re.search(r'<input[^>]*name="speed_kmh"[^>]*>', body).group(0)
    assert 'type="text"' in speed and 'inputmode="decimal"' in speed and 'value="2,5"' in speed
    numbers = re.findall(r'<input type="number"[^>]*>', body)
    assert numbers  # minutes, sets…: whole numbers stay number boxes
    assert not any(re.search(r'(value|step|min|max)="\d+,\d', tag) for tag in numbers), numbers
    assert 'data-decimal=","' in body
