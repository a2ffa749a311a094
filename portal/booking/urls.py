"""The public booking pages, under book/ (docs/booking.md, "The pages").

A shop is found by the portal's own slug, never AutoSync's. The shop's pages come first: a
shop whose slug is "manage" still has its flow, and a manage link's secret (43 characters)
is never one of the words below."""

from django.urls import path

from . import views

app_name = "booking"

urlpatterns = [
    path("<slug:slug>/", views.shop_page, name="shop"),
    path("<slug:slug>/visit/", views.what, name="what"),
    path("<slug:slug>/visit/vehicle/", views.vehicle, name="vehicle"),
    path("<slug:slug>/visit/when/", views.when, name="when"),
    path("<slug:slug>/visit/who/", views.who, name="who"),
    path("<slug:slug>/visit/review/", views.review, name="review"),
    path("<slug:slug>/visit/booked/", views.booked, name="booked"),
    path("<slug:slug>/times/", views.times, name="times"),
    path("manage/<str:token>/", views.manage, name="manage"),
]
