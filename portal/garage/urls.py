"""The vehicle owner's side, mounted under `garage/`."""

from django.urls import path

from . import notify_views, signin_views, views

app_name = "garage"

urlpatterns: list = []

# --- Sign-in, sign-out and email preferences (branch garage-signin). The links' secrets are
# in the query (`?token=`), which the access logs redact (portal.logfilters), not the path. --
urlpatterns += [
    path("sign-in/", signin_views.sign_in, name="sign-in"),
    path("sign-in/code/", signin_views.enter_code, name="sign-in-code"),
    path("sign-in/link/", signin_views.open_link, name="sign-in-link"),
    path("sign-out/", signin_views.sign_out, name="sign-out"),
    path("preferences/", notify_views.preferences, name="preferences"),
    path("unsubscribe/", notify_views.unsubscribe, name="unsubscribe"),
]

# --- The owner's pages (portal/garage/views.py): overview, vehicles, appointments, work
# orders and their live status, payments, receipts and the CSV. A record is addressed by its
# shop (the portal's pk) and its AutoSync id, always within what the owner may see.
urlpatterns += [
    path("", views.home, name="home"),
    path("vehicles/", views.vehicles, name="vehicles"),
    path("appointments/", views.appointments, name="appointments"),
    path("appointments/booking/<int:booking_id>/", views.booking, name="booking"),
    path("appointments/<int:shop_id>/<int:remote_id>/", views.appointment, name="appointment"),
    path("work-orders/", views.work_orders, name="work-orders"),
    path("work-orders/<int:shop_id>/<int:remote_id>/", views.work_order, name="work-order"),
    path(
        "work-orders/<int:shop_id>/<int:remote_id>/status/",
        views.work_order_status,
        name="work-order-status",
    ),
    path("payments/", views.payments, name="payments"),
    path("payments.csv", views.payments_csv, name="payments-csv"),
    path("payments/<int:shop_id>/<int:remote_id>/", views.receipt, name="receipt"),
]
