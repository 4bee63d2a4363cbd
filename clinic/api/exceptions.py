"""One error shape for the API: {"detail": ...}, or field errors keyed by field, always JSON."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from rest_framework import exceptions, status
from rest_framework.views import exception_handler


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def _size_in_words(size: int) -> str:
    return f"{size // (1024 * 1024)} MiB" if size >= 1024 * 1024 and size % (1024 * 1024) == 0 else f"{size} bytes"


def api_exception_handler(exc, context):
    """One error shape: {"detail": ...} or field errors keyed by field. Service validation becomes 400.

    Django's own refusals of a request body (too large, too many fields) would
    otherwise end as an HTML 400 page; here they keep the API's JSON shape.
    """
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        )
    elif isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = PayloadTooLarge(f"The request body is larger than the {_size_in_words(limit)} the API accepts. "
                              "Send less at once (for example, fewer items per request).")
    elif isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        exc = exceptions.ParseError("The request has more fields or files than the API accepts.")
    return exception_handler(exc, context)


def api_not_found(request, *args, **kwargs):
    """Any address under /api/v1/ that is no endpoint: a JSON 404 like every other API error, not an HTML page."""
    return JsonResponse({"detail": "Not found: there is no API endpoint at this address (see /api/docs/)."},
                        status=status.HTTP_404_NOT_FOUND)
