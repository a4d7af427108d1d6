-- What reports group by: the application's category, program and school stage.
ALTER TABLE reviews ADD COLUMN category text;
ALTER TABLE reviews ADD COLUMN program text;
ALTER TABLE reviews ADD COLUMN stage text;
