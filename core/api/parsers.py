"""Request bodies without control characters.

Codes, names and references come from other systems' exports, where a stray control
character (a form feed, an escape, U+0014) slips in unseen: "SKU-1\x14" would become an item
of its own, unreadable on a label or a screen, and break the CSV and EDI files it goes out
in. Every body the API parses is refused (400) if a text in it, or a key, holds one, naming
the field; tab and line breaks stay allowed, for notes.
"""

import re
from collections.abc import Iterator, Mapping
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

# Unicode's control characters (category Cc: C0, DEL and C1) but tab, line feed and return.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_character(text: str) -> str | None:
    """The first control character of `text` (but tab and line breaks), or None."""
    found = CONTROL.search(text)
    return found.group() if found else None


def _texts(data: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every text of a parsed body, keys too, with the path of its field (`lines[0].item`)."""
    if isinstance(data, QueryDict):
        for key, values in data.lists():
            yield path or key, key
            for value in values:
                if isinstance(value, str):
                    yield key, value
    elif isinstance(data, Mapping):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str):
                yield where, key
            yield from _texts(value, where)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _texts(value, f"{path}[{index}]")
    elif isinstance(data, str):
        yield path or "non_field_errors", data


def _shown(where: str) -> str:
    """A field's path as the error names it: a control character in a key written as
    `\\uXXXX`, so that the answer is text a screen, a log and the database can hold."""
    return CONTROL.sub(lambda found: f"\\u{ord(found.group()):04x}", where)


def clean(data: Any) -> Any:
    """`data` as it is, or a ValidationError naming the first field with a control
    character, and which."""
    for where, text in _texts(data):
        char = control_character(text)
        if char is not None:
            raise ValidationError(
                {
                    _shown(where): [
                        _("Holds a control character (U+%(code)04X), which is not text.")
                        % {"code": ord(char)}
                    ]
                }
            )
    return data


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return clean(super().parse(stream, media_type, parser_context))


class FormParser(parsers.FormParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return clean(super().parse(stream, media_type, parser_context))


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parsed = super().parse(stream, media_type, parser_context)
        clean(parsed.data)
        return parsed


class BodyParser(parsers.BaseParser):
    """A body as sent, its bytes, at most `most` of them: more is refused (400, `too_big`)
    before the rest is read."""

    most = 5 * 1024 * 1024
    too_big: Any = ""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        raw = stream.read(self.most + 1) if stream is not None else b""
        if len(raw) > self.most:
            raise ParseError(self.too_big)
        return raw
