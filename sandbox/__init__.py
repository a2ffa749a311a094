"""The AutoSync sandbox: a faithful local AutoSync API v1 (REST, OAuth, webhooks, simulator)."""
