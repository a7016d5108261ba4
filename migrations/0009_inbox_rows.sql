-- 0009_inbox_rows.sql: cheaper inbox rebuilds (measured with
-- pg_stat_statements and auto_explain under bench/transitions).
--
-- 1. A case's earliest pending deadline was found by walking the global
--    deadline_due index and filtering on the case: the cost grew with the
--    number of pending deadlines in the database.  An index on (case_id,
--    due_at) over pending deadlines answers it in one probe.
-- 2. case_pending is a derived index of what each case waits for, rebuilt
--    by every transition in the transaction that changes it
--    (flow.c refresh_pending).  Its foreign keys cost a referential query
--    per row on the hottest statement of a transition and protect nothing
--    the code does not: cases, units and people are never deleted, and the
--    rows name only ids the same transaction has just read.
create index deadline_case_due on deadline (case_id, due_at)
	where state = 'pending';
alter table case_pending drop constraint case_pending_case_id_fkey;
alter table case_pending drop constraint case_pending_scope_unit_fkey;
alter table case_pending drop constraint case_pending_person_id_fkey;
