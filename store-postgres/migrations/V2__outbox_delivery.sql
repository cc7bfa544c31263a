-- teleconsult on PostgreSQL, version 2: delivering the outbox — entries set aside for staff
-- (parked) and the cursors of the pull of remote changes. Leases are the columns `leased_by`
-- and `leased_until` of `outbox` (version 1).

CREATE INDEX outbox_leased_by ON outbox (leased_by) WHERE leased_by IS NOT NULL;

-- An entry the platform refused for good, kept for staff (retry or discard). `message` is the
-- outbox entry's sealed message as it was (bound to the outbox id), `parking` the refusal,
-- sealed (the platform's answer may quote content).
CREATE TABLE outbox_parked (
    id          bigint      PRIMARY KEY,
    aggregate   text        NOT NULL,
    enqueued_at timestamptz NOT NULL,
    attempts    integer     NOT NULL,
    parked_at   timestamptz NOT NULL,
    message     bytea       NOT NULL,
    parking     bytea       NOT NULL
);
CREATE INDEX outbox_parked_by_aggregate ON outbox_parked (aggregate);

CREATE TABLE sync_cursors (
    name text        PRIMARY KEY,
    at   timestamptz NOT NULL
);
