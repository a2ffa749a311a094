"""The pieces every page shares: template filters and tags for times, money, statuses,
navigation and pagination (their markup is in templates/includes/)."""
