-- The 实名制档案 beyond the furthest stage: the profile filled in at 摸底建档, the handoff to a
-- destination union, what was done for the graduate; and the job fairs with their posts.
ALTER TABLE graduates ADD COLUMN program text;
ALTER TABLE graduates ADD COLUMN profile jsonb NOT NULL DEFAULT '{}';
ALTER TABLE graduates ADD COLUMN destination_org text;
ALTER TABLE graduates ADD COLUMN handoff jsonb;
ALTER TABLE graduates ADD COLUMN recommendations integer NOT NULL DEFAULT 0;
ALTER TABLE graduates ADD COLUMN supports jsonb NOT NULL DEFAULT '[]';
ALTER TABLE graduates ADD COLUMN subsidies jsonb NOT NULL DEFAULT '{}';

CREATE TABLE job_fairs (
    fair_id   text PRIMARY KEY,
    org_code  text NOT NULL,
    name      text NOT NULL,
    kind      text NOT NULL,
    held_on   date NOT NULL,
    posts     jsonb NOT NULL
);
