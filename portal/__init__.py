"""The AutoSync customer portal: a Django project, an OAuth platform integration of AutoSync."""
