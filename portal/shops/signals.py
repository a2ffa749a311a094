"""Signals other apps listen to, so that the shops app needs to know nothing about them."""

from django.dispatch import Signal

#: Sent inside the disconnect transaction, once per shop, with `shop`. The mirror removes the
#: shop's personal data (customers, vehicles and what hangs off them) in its receiver.
shop_disconnected = Signal()

#: Sent when AutoSync rejected a connection's grant, with `connection`; its shops pause syncing.
connection_needs_reconnecting = Signal()
