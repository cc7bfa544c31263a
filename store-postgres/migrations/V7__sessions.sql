-- teleconsult on PostgreSQL, version 7: logging in. Login challenges (the code step), sessions
-- and single-use tokens (activation, password-reset links), each keyed by a blind index of its
-- secret (the secret itself is never stored) and sealed like every record. They go with their
-- account (an erased account's sessions end at once).

CREATE TABLE challenges (
    key     bytea PRIMARY KEY,
    account uuid  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    sealed  bytea NOT NULL
);

CREATE TABLE sessions (
    key     bytea PRIMARY KEY,
    account uuid  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    sealed  bytea NOT NULL
);

CREATE TABLE tokens (
    key     bytea PRIMARY KEY,
    account uuid  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    sealed  bytea NOT NULL
);

CREATE INDEX challenges_account ON challenges (account);
CREATE INDEX sessions_account ON sessions (account);
CREATE INDEX tokens_account ON tokens (account);
