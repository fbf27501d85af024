"""Access: who is asking, in which campaign, with which rights.

Entry points:
- `auth.login`, `auth.tenant_from_token`: passwords (argon2) and access tokens (JWT).
- `tenancy.Tenant`, `tenancy.tenant_select`, `tenancy.get_owned`: the request's tenant context
  and the one scoping helper that every tenant-owned ORM query goes through.
- `users.create_user`, `users.list_users`, `users.me`, `users.create_campaign`.
- `throttle.FailureThrottle`: failures per client, for guessable secrets (list codes).

Pure (no database): `throttle`, and `auth`'s hashing and token functions. The rest reads or
writes the database through the session it is given.
"""
