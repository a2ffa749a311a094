"""The portal's URLs plus a stand-in for the booking pages' `booking:manage`, for a branch
where the pages are not there yet (the emails link to it)."""

from django.http import HttpResponse
from django.urls import include, path

from portal.urls import urlpatterns as portal_urlpatterns

manage = [path("manage/<str:token>/", lambda request, token: HttpResponse(), name="manage")]
urlpatterns = [*portal_urlpatterns, path("book/", include((manage, "booking")))]
