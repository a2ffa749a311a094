"""The staff dashboard, mounted under `shops/<id>/` beside the shops app's pages."""

from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    # --- The shop at a glance and the work-order board (portal/dashboard/views.py) ---------
    path("shops/<int:shop_id>/dashboard/", views.overview, name="overview"),
    path("shops/<int:shop_id>/dashboard/board/", views.work_board, name="board"),
    # --- end of the overview's and board's patterns ----------------------------------------
]
