"""Page-number pagination with a page size the client may choose (up to MAX_PAGE_SIZE)."""

from __future__ import annotations

from rest_framework import pagination

MAX_PAGE_SIZE = 1000


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=2&page_size=200``; the default size is REST_FRAMEWORK["PAGE_SIZE"] (50)."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
