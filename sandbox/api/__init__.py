"""The REST API v1: authentication, scopes, rate limits, faults, envelope and endpoints."""
