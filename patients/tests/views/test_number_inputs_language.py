"""Number inputs in German and Spanish: a browser's <input type=number> only takes "2.5", never "2,5".

Django writes numbers in a template the language's way (2,5 in German); a number field given "2,5" shows
empty, so the log form lost the plan's speed in German. Their value, step, min and max are unlocalized.
"""

import re

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["de", "es"])
def test_the_log_forms_numbers_stay_machine_numbers(client, world, language):
    client.force_login(world.patient_a1.user)
    body = client.get("/log/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    inputs = re.findall(r'<input type="number"[^>]*>', body)
    assert inputs
    speed = next(tag for tag in inputs if 'name="speed_kmh"' in tag)
    assert 'value="2.5"' in speed and 'step="0.1"' in speed
    assert not any(re.search(r'(value|step|min|max)="\d+,\d', tag) for tag in inputs), inputs
    assert 'data-step="0.5"' in body or 'data-step="0.1"' in body
