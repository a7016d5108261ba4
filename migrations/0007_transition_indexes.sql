-- 0007_transition_indexes.sql: fewer index writes on every transition.
--
-- Measured with pg_stat_statements under bench/transitions: inserting an
-- audit event and rebuilding a case's inbox rows were the two costliest
-- statements of a transition.  Three indexes that no query needs go:
--  * audit_event_case (case_id, seq) duplicates the unique (stream, seq)
--    index, since a case's events are exactly its stream "case:<id>";
--  * the unique index on audit_event.hash: every hash is a SHA-256 over its
--    predecessor's hash, so chain integrity rests on (stream, seq) and the
--    link trigger, not on this index;
--  * wf_case_state (workflow, state): no query selects cases by state
--    (orders list cases by id; the inbox reads case_pending), and without
--    it a transition's UPDATE of wf_case can be a HOT update.
drop index audit_event_case;
alter table audit_event drop constraint audit_event_hash_key;
drop index wf_case_state;
