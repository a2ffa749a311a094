"""Tests of portal.autosync, the client of the AutoSync API."""
