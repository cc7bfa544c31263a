-- teleconsult on PostgreSQL, version 5: secure messages, windowed quotas, and the patient of
-- each appointment (to find a patient's appointments with a practitioner).

ALTER TABLE appointments ADD COLUMN patient uuid;
CREATE INDEX appointments_by_patient ON appointments (patient, practitioner);

-- One conversation per patient and practitioner, in the order the messages were written.
CREATE TABLE messages (
    id           uuid      PRIMARY KEY,
    patient      uuid      NOT NULL,
    practitioner uuid      NOT NULL,
    position     bigserial NOT NULL,
    sealed       bytea     NOT NULL
);
CREATE INDEX messages_by_conversation ON messages (patient, practitioner, position);

-- A message's file, sealed as raw bytes.
CREATE TABLE message_files (
    message uuid  PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    sealed  bytea NOT NULL
);

-- Windowed counts (uploads per account and UTC day, ...): the window's number and the units
-- used in it, changed under the row's lock.
CREATE TABLE quota_counts (
    key         text    PRIMARY KEY,
    window_no   bigint  NOT NULL,
    used        integer NOT NULL
);
