"""Shops connected through AutoSync OAuth: connections (encrypted tokens), teams, invites."""
