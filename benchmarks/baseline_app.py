"""The benchmark's yardstick: a bare Django WSGI app answering each list path with a constant
JSON body (the sandbox's own page, recorded), so the ratio shows what the sandbox adds."""

import json
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.urls import re_path

# Path -> exact response body, written by sandbox_lists.py before it starts this server.
BODIES: dict[str, bytes] = {
    path: body.encode()
    for path, body in json.loads(Path(os.environ["BENCH_BODIES"]).read_text()).items()
}


def constant_list(request: HttpRequest) -> HttpResponse:
    body = BODIES.get(request.path)
    if body is None:
        return HttpResponseNotFound()
    return HttpResponse(body, content_type="application/json")


urlpatterns = [re_path(r"^.*$", constant_list)]

settings.configure(
    DEBUG=False,
    SECRET_KEY=secrets.token_urlsafe(32),  # nothing is signed; Django requires one
    ALLOWED_HOSTS=["127.0.0.1"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    USE_TZ=True,
)
application = get_wsgi_application()
