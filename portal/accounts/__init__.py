"""Staff accounts: people of the shops who sign in to the portal with an email and a password."""
