"""Developer entry points (`python -m bin.run`)."""
