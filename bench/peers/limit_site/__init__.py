"""The limit: a bare Django project whose only view does one INSERT and returns JSON."""
