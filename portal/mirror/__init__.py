"""The mirror: shops' AutoSync records, the sync tasks that fill it, and the webhook receiver."""
