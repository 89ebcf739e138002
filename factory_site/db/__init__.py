"""Database engine: django-mongodb-backend, plus the embedded server when no URI is set."""
