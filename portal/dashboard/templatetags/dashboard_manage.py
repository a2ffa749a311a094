"""For pages outside the dashboard that link to it (the shops app's shop page): how many items
wait in the shop's inbox."""

from django import template

from portal.dashboard.waiting import open_count
from portal.shops.models import Shop

register = template.Library()


@register.simple_tag
def inbox_waiting(shop: Shop) -> int:
    return open_count(shop)
