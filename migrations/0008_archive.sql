-- 0008_archive.sql: sealed case archives (SPEC section 4, issue 5):
-- retention periods per document type, the package of each sealed case,
-- legal holds with their history, and disposition acts.
--
-- A package is a file under QUJAT_VAR/archive (app/store/archive.c writes
-- it, fsyncs it, renames it into place and records it here in the same
-- transaction that deletes the case's seal_job row, 0005).  One package per
-- case: the primary key.  Rows are never deleted; a disposed package keeps
-- its row, its hash and its act, and only loses its file.

-- pg_trgm (postgresql-contrib; a trusted extension) backs name search.
create extension if not exists pg_trgm;

-- Retention as data.  doc_type is a form id (forms/<type>.xsd) or '*', the
-- default.  A package is kept for the longest period of the document types
-- it holds, counted from 1 January of the year after the case closed (the
-- usual archival convention; INFERRED).  The only citable rule is seed 004
-- L4956-L4958: "archival versions are kept according to the nomenclature of
-- cases and archival retention periods"; the periods themselves are not in
-- the seeds (digest_004.md 2.9 and 2.10), so every period below is INFERRED
-- and an administrator may change it.  A change applies to packages sealed
-- afterwards: a sealed package records its period in case.xml.
create table retention_rule (
	doc_type	text primary key
			    check (doc_type ~ '^([a-z][a-z0-9-]{0,47}|\*)$'),
	years		int not null check (years between 0 and 200),
	basis		text not null check (length(basis) between 1 and 500),
	source		text not null check (length(source) between 1 and 500),
	updated_at	timestamptz not null default now()
);
insert into retention_rule (doc_type, years, basis, source) values
	('order', 75, 'orders on learners (admission, leave, return, '
	    'reinstatement, expulsion): proof of a person''s studies',
	    'seed 004 L4956-L4958 (kept by the nomenclature of cases and '
	    'archival periods); period INFERRED'),
	('academic-leave-application', 75, 'part of the learner''s personal '
	    'file', 'seed 004 L4956-L4958; period INFERRED'),
	('return-from-leave-application', 75, 'part of the learner''s '
	    'personal file', 'seed 004 L4956-L4958; period INFERRED'),
	('reinstatement-application', 75, 'part of the learner''s personal '
	    'file', 'seed 004 L4956-L4958; period INFERRED'),
	('decision', 75, 'decisions on a learner''s case, with the order they '
	    'lead to', 'seed 004 L4956-L4958; period INFERRED'),
	('tripartite-contract', 75, 'a resident''s contract under the state '
	    'order: proof of obligations and of service', 'seed 004 '
	    'L4956-L4958; period INFERRED'),
	('release-sheet', 75, 'releases a resident from the contract',
	    'seed 004 L4956-L4958; period INFERRED'),
	('change-of-personal-data-notice', 75, 'part of the resident''s '
	    'personal file', 'seed 004 L4956-L4958; period INFERRED'),
	('appeal-application', 10, 'appeals of examination results, kept '
	    'beyond the accreditation cycle (5 years, seed 004 L4095-L4099)',
	    'seed 004 L4956-L4958; period INFERRED'),
	('commission-protocol', 10, 'protocols of appeal and credit-recount '
	    'commissions (records of a collegial body)', 'seed 004 '
	    'L4956-L4958; period INFERRED'),
	('employment-report', 10, 'graduate employment reports (monitoring '
	    'evidence, seed 004 L1134-L1136)', 'seed 004 L4956-L4958; period '
	    'INFERRED'),
	('*', 10, 'any document type without its own rule', 'INFERRED');

create table archive (
	case_id		bigint primary key references wf_case(id),
	-- relative to QUJAT_VAR/archive: case-<id>.zip, fixed per case
	path		text not null unique check (path ~ '^case-[0-9]+\.zip$'),
	sha256		text not null check (sha256 ~ '^[0-9a-f]{64}$'),
	size		bigint not null check (size > 0),
	sealed_at	timestamptz not null,
	seal_cert_sha256 text not null check (seal_cert_sha256 ~ '^[0-9a-f]{64}$'),
	-- what auditors search by, copied from the case when it is sealed
	workflow	text not null,
	unit_path	text not null,
	applicant_iin	char(12) check (applicant_iin ~ '^[0-9]{12}$'),
	applicant_name	text not null default '',
	closed_at	timestamptz not null,
	retention_years	int not null check (retention_years >= 0),
	retention_rule	text not null,
	retain_until	date not null,
	disposed_at	timestamptz
);
create index archive_iin on archive (applicant_iin, closed_at desc)
	where applicant_iin is not null;
create index archive_name on archive using gin (lower(applicant_name)
	gin_trgm_ops);
create index archive_workflow on archive (workflow, closed_at desc, case_id);
create index archive_closed on archive (closed_at desc, case_id desc);
-- Orders by number: an order case and the cases it lists (case_link).
create index wf_case_reg_number on wf_case (reg_number)
	where reg_number is not null;

create function archive_guard() returns trigger language plpgsql as $$
begin
	if tg_op = 'DELETE' then
		raise exception 'archive rows are never deleted'
		    using errcode = '23514';
	end if;
	if (new.case_id, new.path, new.sha256, new.size, new.sealed_at,
	    new.seal_cert_sha256, new.retain_until) is distinct from
	    (old.case_id, old.path, old.sha256, old.size, old.sealed_at,
	    old.seal_cert_sha256, old.retain_until) or
	    old.disposed_at is not null then
		raise exception 'a sealed package only changes once, when it is '
		    'disposed of' using errcode = '23514';
	end if;
	return new;
end $$;
create trigger archive_guard before update or delete on archive
	for each row execute function archive_guard();

-- Legal holds.  A hold is set with a reason and lifted with one; the row
-- stays, so the history of holds is this table.  A package with an active
-- hold (lifted_at null) cannot be disposed of.
create table legal_hold (
	id		bigint generated always as identity primary key,
	case_id		bigint not null references archive(case_id),
	reason		text not null check (length(reason) between 1 and 2000),
	set_by		bigint not null references person(id),
	set_at		timestamptz not null,
	lift_reason	text check (length(lift_reason) between 1 and 2000),
	lifted_by	bigint references person(id),
	lifted_at	timestamptz,
	check ((lifted_at is null) = (lifted_by is null) and
	    (lifted_at is null) = (lift_reason is null))
);
create index legal_hold_active on legal_hold (case_id) where lifted_at is null;

create function legal_hold_guard() returns trigger language plpgsql as $$
begin
	if tg_op = 'DELETE' or old.lifted_at is not null or
	    (new.id, new.case_id, new.reason, new.set_by, new.set_at) is
	    distinct from (old.id, old.case_id, old.reason, old.set_by,
	    old.set_at) then
		raise exception 'a legal hold is only ever lifted, once'
		    using errcode = '23514';
	end if;
	return new;
end $$;
create trigger legal_hold_guard before update or delete on legal_hold
	for each row execute function legal_hold_guard();

-- Disposition: a signed act (a disposition-act document, forms/, stored in
-- `document`) per disposed package.  The trigger is the last fence behind
-- the API's checks: no act while a hold is active or before retain_until.
create table disposition_act (
	id		bigint generated always as identity primary key,
	case_id		bigint not null unique references archive(case_id),
	act_sha256	text not null references document(sha256),
	signature	bytea not null,
	signature_sha256 text not null unique
			    check (signature_sha256 ~ '^[0-9a-f]{64}$'),
	signer_id	bigint not null references person(id),
	cert_sha256	text not null check (cert_sha256 ~ '^[0-9a-f]{64}$'),
	signing_time	timestamptz not null,
	package_sha256	text not null check (package_sha256 ~ '^[0-9a-f]{64}$'),
	recorded_at	timestamptz not null
);

create function disposition_guard() returns trigger language plpgsql as $$
declare
	a archive%rowtype;
begin
	if tg_op <> 'INSERT' then
		raise exception 'disposition acts are immutable'
		    using errcode = '23514';
	end if;
	select * into a from archive where case_id = new.case_id for update;
	if exists (select 1 from legal_hold where case_id = new.case_id and
	    lifted_at is null) then
		raise exception 'the package of case % is on legal hold',
		    new.case_id using errcode = '23514';
	end if;
	if new.recorded_at::date < a.retain_until then
		raise exception 'the package of case % is kept until %',
		    new.case_id, a.retain_until using errcode = '23514';
	end if;
	if new.package_sha256 <> a.sha256 then
		raise exception 'the act names another package'
		    using errcode = '23514';
	end if;
	return new;
end $$;
create trigger disposition_guard before insert or update or delete on
	disposition_act for each row execute function disposition_guard();
