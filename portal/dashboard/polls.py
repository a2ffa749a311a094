"""How the staff pages refresh themselves (the overview, the board, the inbox's notice, the
health page's figures): a tag of what the page shows, sent back in `X-Dashboard-Seen`, 204 to
htmx while it holds, 304 to a client revalidating with it as an ETag. Each page makes its own
tag (views.refresh_tag, inbox.news_of, health_page.health_tag); the poll views take
`views.signed_out_poll` and `shop_member()`."""

from __future__ import annotations

import hashlib

from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_cache_control

from portal.http import StaffRequest

SEEN_HEADER = "X-Dashboard-Seen"


def tag_of(*parts) -> str:
    """A short tag of `parts` (their repr: tuples of numbers, strings, dates)."""
    return hashlib.blake2b(repr(parts).encode(), digest_size=12).hexdigest()


def unchanged(request: StaffRequest, tag: str) -> HttpResponse | None:
    """204 to htmx when what it shows has `tag`; 304 to a revalidating client; else None."""
    if request.headers.get(SEEN_HEADER) == tag:
        return HttpResponse(status=204)
    return get_conditional_response(request, etag=f'"{tag}"')


def tagged(response: HttpResponse, tag: str) -> HttpResponse:
    """A refreshed part, with its tag as ETag; never served from a cache unasked."""
    response["ETag"] = f'"{tag}"'
    patch_cache_control(response, private=True, no_cache=True)
    return response
