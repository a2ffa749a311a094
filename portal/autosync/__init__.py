"""The only code that speaks HTTP to AutoSync: client, OAuth client, rate budget, signatures."""
