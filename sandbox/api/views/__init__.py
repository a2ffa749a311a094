"""The /v1/ endpoints, one module per group of resources."""
