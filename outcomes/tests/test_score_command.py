"""`manage.py score_questionnaire`: JSON scores out, a clear error and a non-zero exit for bad input."""

import io
import json
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command


def run(*args, stdin=None, monkeypatch=None):
    out = io.StringIO()
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    call_command("score_questionnaire", *args, stdout=out)
    return json.loads(out.getvalue())


def test_answers_on_the_command_line():
    result = run("ikdc", "--answers", json.dumps({"I2": 0, "I3": 0}))
    assert result["scales"][0]["reason"] == "Only 2 of 18 items answered; at least 16 are needed."


def test_answers_from_a_file_and_from_stdin(tmp_path, monkeypatch):
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({f"R{n}": 50 for n in range(1, 7)}))
    assert run("acl-rsi-6", "--file", str(path))["scales"][0]["value"] == "50.0"
    assert run("sane", stdin='{"SANE": 81}', monkeypatch=monkeypatch)["scales"][0]["value"] == "81.0"
    assert run("sane", "--file", "-", stdin='{"SANE": 0}', monkeypatch=monkeypatch)["scales"][0]["value"] == "0.0"


@pytest.mark.parametrize(("args", "message"), [
    (("koos-99", "--answers", "{}"), "No instrument with id 'koos-99'"),
    (("koos", "--answers", "{nope"), "not valid JSON"),
    (("koos", "--answers", '{"Z1": 1}'), "Item Z1: koos has no item 'Z1'"),
    (("koos", "--answers", '{"P1": 9}'), "Item P1: 9 is not an allowed answer"),
    (("koos", "--answers", "[1]"), "object of item id to value"),
    (("koos", "--file", "/no/such/file.json"), "Cannot read the answers"),
])
def test_bad_input_is_a_command_error(args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(")):
        call_command("score_questionnaire", *args, stdout=io.StringIO())


def test_the_exit_status_is_non_zero_on_bad_input():
    done = subprocess.run([sys.executable, "manage.py", "score_questionnaire", "sane", "--answers", '{"SANE": 101}'],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "SANE" in done.stderr


def test_describe_lists_item_ids_allowed_values_and_rules():
    out = io.StringIO()
    call_command("score_questionnaire", "ikdc", "--describe", stdout=out)
    described = json.loads(out.getvalue())
    items = {item["id"]: item for item in described["items"]}
    assert items["I2"] == {"id": "I2", "allowed": "0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10", "scored": True, "reverse": True}
    assert items["I10a"]["scored"] is False
    assert described["scales"][0]["min_answered"] == 16
    assert described["scales"][0]["important_change"] == "11.5"
    assert described["scales"][0]["threshold_verified"] is False
