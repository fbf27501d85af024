"""Access: who is asking, in which campaign, with which rights.

Entry points:
- `login.login`: password login (an account belongs to one campaign; `campaign` names it),
  throttled, in short transactions of its own.
- `auth.tenant_from_token`: the check of a token on every request (its session, account and
  role in one read); `auth.hash_password`, `auth.issue_token`: argon2 and JWT.
- `sessions.open_session`, `sessions.end_session`, `sessions.end_user_sessions`: login
  sessions, which every token names.
- `tenancy.Tenant`, `tenancy.tenant_select`, `tenancy.get_owned`: the request's tenant context
  and the one scoping helper that every tenant-owned ORM query goes through.
- `users.create_user`, `users.list_users`, `users.get_member`, `users.me`,
  `users.change_own_password`, `users.create_campaign`: accounts of the caller's campaign.
- `members.update_member`, `members.remove_member`, `members.reset_password`,
  `members.end_member_sessions`: off-boarding, by admins.
- `throttle.check`, `throttle.failed`, `throttle.forget`: failed tries counted in PostgreSQL
  (per account, per client address); `throttle.client_address`: the client behind trusted
  proxies.
- `lookups.login_accounts`, `lookups.list_code_by_hash`: the two reads that cross campaigns
  before a request knows its own (row-level security shows nothing until then), through the
  owner's narrow SECURITY DEFINER functions.
- `keys.keyed_hash`: HMAC under SECRET_KEY; `keys.attach_settings`, `keys.settings_of`: the
  settings a session carries to services called with a session and a tenant only.

Row-level security: `auth.tenant_from_token` names the token's campaign on the request's
session (`app.db.use_campaign`) before its first read, and `login` opens the new session in
the account's campaign.

Pure (no database): `keys`, `throttle.client_address`, and `auth`'s hashing and token functions.
The rest reads or writes through the session it is given and never commits, except `login`,
which opens its own short transactions from the session factory (no connection is held while
hashing, and a failed try is committed although the answer is 401). The throttle's SQL is in
`queries`.
"""
