-- 0005_seal_queue.sql: cases waiting to be sealed into their archive.
--
-- A row is inserted in the same transaction that makes a case terminal, so
-- a case is never terminal without either a queued seal or a package: if
-- the transaction commits, the job exists; if not, neither does the state.
-- Sealers claim jobs with FOR UPDATE SKIP LOCKED; the package itself is
-- recorded by the archive module, one per case.
create table seal_job (
	case_id		bigint primary key references wf_case(id),
	queued_at	timestamptz not null,
	attempts	int not null default 0 check (attempts >= 0),
	last_error	text,
	next_try_at	timestamptz not null
);
create index seal_job_next on seal_job (next_try_at);
