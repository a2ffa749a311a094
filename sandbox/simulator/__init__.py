"""A living shop: the simulator that makes the seeded shops busy."""
