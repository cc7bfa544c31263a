-- teleconsult on PostgreSQL, version 6: what happens in a call — its chat, the files shared
-- in it (sealed, the content apart), and its quality record (one per appointment).

CREATE TABLE chat_messages (
    appointment uuid      NOT NULL,
    position    bigserial NOT NULL,
    sealed      bytea     NOT NULL,
    PRIMARY KEY (appointment, position)
);

CREATE TABLE attachments (
    id          uuid      PRIMARY KEY,
    appointment uuid      NOT NULL,
    position    bigserial NOT NULL,
    sealed      bytea     NOT NULL,
    content     bytea     NOT NULL
);
CREATE INDEX attachments_by_appointment ON attachments (appointment, position);

CREATE TABLE call_quality (
    appointment uuid  PRIMARY KEY,
    sealed      bytea NOT NULL
);
