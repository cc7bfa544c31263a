-- teleconsult on PostgreSQL, version 8: confirmation codes (a new phone or e-mail, erasure),
-- one sealed record per account — the code waiting, its session and purpose, and the codes
-- sent in the current window. Gone with the account.

CREATE TABLE confirmations (
    account uuid  PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    sealed  bytea NOT NULL
);
