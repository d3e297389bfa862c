"""Recovery plans as documents: the frozen snapshot, the locked URL fetcher, the PDF.

- ``canonical``  canonical JSON and its SHA-256 (what a revision's hash is computed over)
- ``snapshot``   the immutable content of a plan revision, built from the database once
- ``fetcher``    WeasyPrint's URL fetcher, locked to the project's static files and data: URLs
- ``charts``     server-rendered SVG charts from plain lists (pure; the portal reuses them)
- ``render``     snapshot -> HTML (templates/reports/) -> PDF, and the CSV VM annex

Nothing here changes a revision's state: ``planner.services.plans`` is the only writer.
This package's ``__init__`` imports nothing, so models can use ``canonical`` cheaply.
"""
