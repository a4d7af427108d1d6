-- Per-graduate tracking view (实名制档案), projected from registration and progress events.
CREATE TABLE graduates (
    graduate_id      text        PRIMARY KEY,
    application_id   text        NOT NULL,
    origin_org       text        NOT NULL,
    graduation_year  integer     NOT NULL,
    status           text        NOT NULL,
    employer         text,
    history          jsonb       NOT NULL DEFAULT '[]',
    updated_at       timestamptz NOT NULL DEFAULT now()
);
