-- Business ids of commands already carried out (an allocation, a donation, an objection, a
-- review act, a bank result): the same command again changes nothing, whatever its event id.
CREATE TABLE commands_done (
    business_id  text        PRIMARY KEY,
    digest       text        NOT NULL,
    event_id     text        NOT NULL,
    done_at      timestamptz NOT NULL DEFAULT now()
);
