"""Request parsers: DRF's JSON parser, made safe against JSON nested too deep."""

from __future__ import annotations

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    """DRF's parser catches ValueError only: JSON nested 100,000 deep raised RecursionError and
    answered 500 (RELIABILITY.md, DRF). Here it is a 400 that says what to fix."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(
                "JSON parse error - the document is nested too deeply: send objects and lists "
                "a few levels deep, as the schema at /api/v1/schema/ describes."
            ) from None
