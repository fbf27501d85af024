"""Domain logic. Services take a session and a Tenant, never commit, and raise app.errors."""
