"""Signed webhooks: the event outbox, endpoints, and the sender that delivers them."""
