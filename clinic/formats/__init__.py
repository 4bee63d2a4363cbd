"""Backstep's date formats per language (settings.FORMAT_MODULE_PATH), over Django's own for each language.

Templates name the format, never spell it: `|date:"SHORT_DATE_FORMAT"` is "4 Dec 2026" in English,
"4. Dez 2026" in German and "4 dic 2026" in Spanish. Numbers (decimal comma) are Django's own per language,
with the thousands separator off. Two weekday-and-date formats are our own (`our_format`): DAY, a recent
day short (the `day` filter of clinic/templatetags/people.py), WEEKDAY_DATE (the log page's "When", the
`weekday_date` filter) and WEEKDAY_DATE_TIME (the `weekday_date_time` filter: "correct it until ...").

Date inputs are <input type="date">, which takes and shows ISO dates only: each language reads and writes
ISO first (DATE_INPUT_FORMATS), or a German page would fill it with "04.12.2026" and show it empty.
"""

from django.utils import translation

OUR_FORMATS = {
    # A recent day, short, with its weekday: "Thu 3 Dec", "Do., 3. Dez", "vie 4 dic".
    "DAY": {"en": "D j M", "de": "D., j. M", "es": "D j b"},
    # A day in full, with its weekday, no year: "Friday 4 December", "Freitag, 4. Dezember", "viernes 4 de diciembre".
    "WEEKDAY_DATE": {"en": "l j F", "de": "l, j. F", "es": r"l j \d\e F"},
    # The same with the time: "Saturday 5 December, 20:19", "Samstag, 5. Dezember, 20:19 Uhr",
    # "sábado 5 de diciembre, 20:19".
    "WEEKDAY_DATE_TIME": {"en": "l j F, H:i", "de": r"l, j. F, H:i \U\h\r", "es": r"l j \d\e F, H:i"},
}


def our_format(name: str) -> str:
    """One of OUR_FORMATS in the active language (English for a language without its own)."""
    formats = OUR_FORMATS[name]
    return formats.get(translation.get_language() or "en", formats["en"])
