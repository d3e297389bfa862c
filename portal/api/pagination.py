"""Page-number pagination with a page size the client may choose (up to MAX_PAGE_SIZE)."""

from __future__ import annotations

from rest_framework import pagination

from portal.paging import DeferredJoinPaginator

MAX_PAGE_SIZE = 1000


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=2&page_size=200``; the default size is REST_FRAMEWORK["PAGE_SIZE"] (50)."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class IdsFirstPaginator(DeferredJoinPaginator):
    """Pages read as the portal's lists read them: the page's ids, then those rows only
    (portal/paging.py), always in those two queries."""

    whole_in_one_query = False


class IdsFirstPagination(PageNumberPagination):
    """``?page=`` and ``?page_size=`` as everywhere, for lists that grow with the estate: with
    OFFSET, the database built and sorted every row (joins, per-app VM counts) up to the page;
    here it sorts ids only, then reads the page's rows (GET /api/v1/applications/ on 1,000 apps:
    bench/api_lists.py)."""

    django_paginator_class = IdsFirstPaginator
