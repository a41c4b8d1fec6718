-- After the records are copied in: the GIN index and planner statistics.
CREATE INDEX records_tsv ON records USING gin (tsv);
VACUUM ANALYZE records;
