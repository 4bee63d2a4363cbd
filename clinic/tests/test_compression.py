"""HTML pages go gzip-compressed; API answers, downloads, byte ranges and media go through untouched."""

import gzip
import io

from django.http import FileResponse, HttpResponse
from django.test import RequestFactory

from clinic.compression import PageGZipMiddleware

PAGE = "<html><body>" + "today's plan " * 200 + "</body></html>"


def run(response, accept="gzip, deflate, br"):
    request = RequestFactory().get("/x/", HTTP_ACCEPT_ENCODING=accept)
    return PageGZipMiddleware(lambda _request: response)(request)


def test_a_page_is_compressed_for_a_browser_that_accepts_gzip():
    answer = run(HttpResponse(PAGE, content_type="text/html; charset=utf-8"))
    assert answer["Content-Encoding"] == "gzip"
    assert gzip.decompress(answer.content).decode() == PAGE


def test_a_byte_range_is_passed_through_unchanged():
    partial = HttpResponse(b"\x00" * 4096, content_type="video/mp4", status=206)
    partial["Content-Range"] = "bytes 0-4095/100000"
    answer = run(partial)
    assert not answer.has_header("Content-Encoding")
    assert answer.content == b"\x00" * 4096


def test_a_rangeable_file_is_not_re_encoded_even_as_text():
    stream = FileResponse(io.BytesIO(PAGE.encode()), content_type="text/csv")
    stream["Accept-Ranges"] = "bytes"
    answer = run(stream)
    assert not answer.has_header("Content-Encoding")
    assert b"".join(answer.streaming_content) == PAGE.encode()


def test_pictures_are_never_compressed_again():
    answer = run(HttpResponse(b"\xff\xd8" + b"\x00" * 5000, content_type="image/jpeg"))
    assert not answer.has_header("Content-Encoding")


def test_api_json_and_downloads_go_as_they_are():
    answer = run(HttpResponse('{"results": []}' * 100, content_type="application/json"))
    assert not answer.has_header("Content-Encoding")
    csv = run(HttpResponse("a,b\n" * 500, content_type="text/csv"))
    assert not csv.has_header("Content-Encoding")
