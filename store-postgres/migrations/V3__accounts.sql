-- teleconsult on PostgreSQL, version 3: accounts found by their login. The login is kept as a
-- blind index (a keyed hash of the login, lowercased), unique by constraint.

ALTER TABLE accounts ADD COLUMN login_index bytea;
CREATE UNIQUE INDEX accounts_login_index ON accounts (login_index);
