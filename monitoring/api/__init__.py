"""The REST API: parameters, rendering, pagination, views and routes of ``/api/``."""
