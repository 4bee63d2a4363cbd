"""The patient's today page: what happens next after a check.

Tasks enqueued on commit run in-process here, even where CI sets REDIS_URL.
"""

import pytest
from django.urls import reverse

from patients.tests.support import check, session, step_to

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def test_today_page_tells_the_patient_what_happens_next(client, world):
    step_to(world, 1)
    session(world, 1, step=1, pain=7)
    check(world)
    client.force_login(world.patient_a1.user)
    body = client.get(reverse("patients:today")).content.decode()
    assert "Step down next time." in body
    # The stop rule in its one wording, and how to reach the clinic after the red session.
    assert "Stop and contact your clinic if pain during exercise passes 5 out of 10" in body
    assert "Pain during your latest session passed 5 out of 10" in body
    assert "Walk backwards at 2.5 km/h on a 0 % incline for 10 minutes" in body
