"""The sandbox's seed data: catalogues of plausible records and the builder that bulk-loads them."""
