import pytest

from exercise_media.tests.support import use_storage


@pytest.fixture
def media_dir(settings, tmp_path):
    """A private storage folder of this test's own."""
    folder = tmp_path / "media"
    use_storage(settings, folder)
    return folder


@pytest.fixture
def walk(world):
    """Patient A1's treadmill walk (the first exercise of their plan)."""
    return world.assignment_a1.exercises.filter(kind="retro_treadmill_walk").order_by("phase__order", "order").first()
