-- teleconsult on PostgreSQL, version 1: what booking an appointment reads and writes.
--
-- Every record holding health data is a sealed value (`sealed`: XChaCha20-Poly1305 by the
-- application, bound to its table and key, see teleconsult-seal): the database sees ciphertext.
-- The plain columns are ids, times and states, the least the constraints and look-ups need.

-- Sealed metadata records (the audit chain's head).
CREATE TABLE meta (
    key    text PRIMARY KEY,
    sealed bytea NOT NULL
);

-- The audit chain: contiguous sequence numbers from 1; `record` is the stored JSON whose hash
-- links the chain (teleconsult_seal::chain). Linked by one daemon at a time, under an advisory
-- lock, from the records written with the changes they record (`audit_pending`).
CREATE TABLE audit (
    seq    bigint PRIMARY KEY CHECK (seq > 0),
    record bytea  NOT NULL
);
-- Audit events committed with their change, not linked yet (milliseconds, normally): the JSON
-- of the event (ids, never health data, as in the chain).
CREATE TABLE audit_pending (
    id    bigserial PRIMARY KEY,
    event bytea     NOT NULL
);

CREATE TABLE patients (
    id                uuid  PRIMARY KEY,
    -- Blind indexes (keyed hashes): unique without the value in clear.
    national_id_index bytea NOT NULL UNIQUE,
    email_index       bytea UNIQUE,
    sealed            bytea NOT NULL
);

CREATE TABLE accounts (
    id     uuid  PRIMARY KEY,
    sealed bytea NOT NULL
);

CREATE TABLE practitioners (
    id     uuid  PRIMARY KEY,
    sealed bytea NOT NULL
);

CREATE TABLE schedules (
    practitioner uuid  PRIMARY KEY,
    sealed       bytea NOT NULL
);

CREATE TABLE appointments (
    id           uuid        PRIMARY KEY,
    practitioner uuid        NOT NULL,
    start_at     timestamptz NOT NULL,
    booked_by    uuid        NOT NULL,
    -- Not completed, cancelled or missed: counts in its booker's open appointments.
    is_open      boolean     NOT NULL,
    -- Not cancelled: holds its slot.
    holds_slot   boolean     NOT NULL,
    sealed       bytea       NOT NULL
);
-- One booking per slot, by constraint (a cancelled appointment frees its slot).
CREATE UNIQUE INDEX appointments_one_per_slot ON appointments (practitioner, start_at)
    WHERE holds_slot;
CREATE INDEX appointments_open_by_booker ON appointments (booked_by, start_at) WHERE is_open;

CREATE TABLE reminders (
    due_at      timestamptz NOT NULL,
    appointment uuid        NOT NULL,
    position    smallint    NOT NULL,
    sealed      bytea       NOT NULL,
    PRIMARY KEY (due_at, appointment, position)
);

-- Messages to patients and staff; delivered by one daemon at a time (leased).
CREATE SEQUENCE notifications_id_seq;
CREATE TABLE notifications (
    id           bigint PRIMARY KEY,
    leased_by    text,
    leased_until timestamptz,
    sealed       bytea  NOT NULL
);

-- Messages for the national platform, queued with the change that caused them; delivered in
-- order per aggregate by one daemon at a time (leased).
CREATE SEQUENCE outbox_id_seq;
CREATE TABLE outbox (
    id           bigint      PRIMARY KEY,
    aggregate    text        NOT NULL,
    enqueued_at  timestamptz NOT NULL,
    attempts     integer     NOT NULL DEFAULT 0,
    leased_by    text,
    leased_until timestamptz,
    sealed       bytea       NOT NULL
);
CREATE INDEX outbox_by_aggregate ON outbox (aggregate, id);

-- The on-demand queue: one waiting entry per patient.
CREATE TABLE queue_entries (
    id      uuid  PRIMARY KEY,
    patient uuid  NOT NULL UNIQUE,
    sealed  bytea NOT NULL
);

-- Booth sessions: one open session holds the cabin, by constraint.
CREATE TABLE booth_sessions (
    id          uuid    PRIMARY KEY,
    holds_cabin boolean NOT NULL,
    sealed      bytea   NOT NULL
);
CREATE UNIQUE INDEX booth_sessions_one_in_the_cabin ON booth_sessions ((true)) WHERE holds_cabin;
