"""The staff dashboard, mounted under `shops/<id>/` beside the shops app's pages."""

from django.urls import path

from . import health, health_page, inbox, settings_views, views

app_name = "dashboard"

urlpatterns = [
    # --- The shop at a glance and the work-order board (portal/dashboard/views.py) ---------
    path("shops/<int:shop_id>/dashboard/", views.overview, name="overview"),
    path("shops/<int:shop_id>/dashboard/board/", views.work_board, name="board"),
    # --- end of the overview's and board's patterns ----------------------------------------
]

# --- What needs an answer, settings, connection and sync health (branch dash-manage) ---------
urlpatterns += [
    path("shops/<int:shop_id>/inbox/", inbox.inbox, name="inbox"),
    path("shops/<int:shop_id>/inbox/news/", inbox.news, name="inbox-news"),
    path(
        "shops/<int:shop_id>/inbox/bookings/<int:booking_id>/",
        inbox.answer_booking,
        name="answer-booking",
    ),
    path(
        "shops/<int:shop_id>/inbox/changes/<int:change_id>/",
        inbox.answer_change,
        name="answer-change",
    ),
    path("shops/<int:shop_id>/settings/", settings_views.settings_page, name="settings"),
    path(
        "shops/<int:shop_id>/settings/booking/",
        settings_views.booking_settings,
        name="settings-booking",
    ),
    path(
        "shops/<int:shop_id>/settings/hours/", settings_views.opening_hours, name="settings-hours"
    ),
    path(
        "shops/<int:shop_id>/settings/closed/",
        settings_views.closed_date_add,
        name="settings-closed-add",
    ),
    path(
        "shops/<int:shop_id>/settings/closed/<int:closed_id>/remove/",
        settings_views.closed_date_remove,
        name="settings-closed-remove",
    ),
    path(
        "shops/<int:shop_id>/settings/services/",
        settings_views.services,
        name="settings-services",
    ),
    path(
        "shops/<int:shop_id>/settings/stuck/",
        settings_views.stuck_thresholds,
        name="settings-stuck",
    ),
    path("shops/<int:shop_id>/health/", health_page.health_page, name="health"),
    path("shops/<int:shop_id>/health/sync/", health.sync_now, name="sync-now"),
]
