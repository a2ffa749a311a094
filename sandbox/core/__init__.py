"""AutoSync's shop records (accounts, shops, customers, work orders, ...) and the service layer."""
