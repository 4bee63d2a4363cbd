from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """Pages of 50 (up to 500 with ?page_size=), with the total count."""

    page_size_query_param = "page_size"
    max_page_size = 500
