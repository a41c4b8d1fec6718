-- The table bench_export_fields output is copied into (scripts/bench runs
-- this, then \copy records (id, name, other_names, summary, body) FROM FILE,
-- then index.sql): the four fields weighted A-D in one stored tsvector.
DROP TABLE IF EXISTS records;
CREATE TABLE records (
  id text PRIMARY KEY,
  name text,
  other_names text,
  summary text,
  body text,
  tsv tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', coalesce(name, '')), 'A') ||
    setweight(to_tsvector('english', coalesce(other_names, '')), 'B') ||
    setweight(to_tsvector('english', coalesce(summary, '')), 'C') ||
    setweight(to_tsvector('english', coalesce(body, '')), 'D')) STORED
);
