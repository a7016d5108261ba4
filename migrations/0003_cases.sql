-- 0003_cases.sql: workflow definitions, cases, documents, attachments,
-- signatures, participants, parallel steps, votes, deadlines, links between
-- cases (orders and the cases they list), the inbox, idempotency keys and
-- the gap-free registration counters of orders.

-- Every definition version a case ever ran on, kept verbatim, so a case
-- stays on the version it started with even after the file changes.
create table workflow_def (
	id		text not null check (id ~ '^[a-z][a-z0-9-]{0,47}$'),
	version		int not null check (version > 0),
	sha256		text not null check (sha256 ~ '^[0-9a-f]{64}$'),
	source		bytea not null,
	loaded_at	timestamptz not null default now(),
	primary key (id, version)
);

create table wf_case (
	id		bigint generated always as identity primary key,
	workflow	text not null,
	wf_version	int not null,
	unit_id		bigint not null references unit(id),
	unit_path	text not null,
	applicant_id	bigint references person(id),
	opened_by	bigint references person(id),
	parent_id	bigint references wf_case(id),
	state		text not null check (state ~ '^[a-z][a-z0-9-]{0,47}$'),
	-- Bumped by every change; a transition names the version it saw.
	version		int not null default 1 check (version > 0),
	-- Bumped each time the case enters a state, so parallel steps and
	-- votes of an earlier visit to the same state do not count again.
	round		int not null default 1 check (round > 0),
	terminal	boolean not null default false,
	vars		jsonb not null default '{}' check (jsonb_typeof(vars) = 'object'),
	-- Registration of an order: gap-free number per series and year.
	series		text check (series ~ '^[a-z][a-z0-9-]{0,47}$'),
	reg_year	int,
	reg_number	int check (reg_number > 0),
	reg_date	date,
	created_at	timestamptz not null,
	updated_at	timestamptz not null,
	closed_at	timestamptz,
	foreign key (workflow, wf_version) references workflow_def (id, version),
	unique (series, reg_year, reg_number),
	check ((reg_number is null) = (reg_year is null)),
	check (terminal = (closed_at is not null))
);
create index wf_case_applicant on wf_case (applicant_id, id);
create index wf_case_parent on wf_case (parent_id) where parent_id is not null;
create index wf_case_state on wf_case (workflow, state);

-- Immutable document bytes, named by their SHA-256.
create table document (
	sha256		text primary key check (sha256 ~ '^[0-9a-f]{64}$'),
	form		text not null check (form ~ '^[a-z][a-z0-9-]{0,47}$'),
	size		int not null check (size > 0),
	bytes		bytea not null check (length(bytes) = size),
	created_at	timestamptz not null default now()
);
create function document_immutable() returns trigger language plpgsql as $$
begin
	raise exception 'documents are immutable' using errcode = '23514';
end $$;
create trigger document_immutable before update or delete on document
	for each row execute function document_immutable();

-- A document's place in a case: role and version; a revision links to the
-- version it replaces.
create table case_document (
	id		bigint generated always as identity primary key,
	case_id		bigint not null references wf_case(id),
	role		text not null check (role ~ '^[a-z][a-z0-9-]{0,47}$'),
	version		int not null check (version > 0),
	sha256		text not null references document(sha256),
	supersedes	bigint references case_document(id),
	created_by	bigint references person(id),
	created_at	timestamptz not null,
	unique (case_id, role, version),
	check ((version = 1) = (supersedes is null))
);

-- Evidence files (PDF, JPEG, PNG): bytes on disk under var/store by SHA-256,
-- fsynced before the row is committed.
create table attachment (
	sha256		text primary key check (sha256 ~ '^[0-9a-f]{64}$'),
	media_type	text not null check (media_type in ('application/pdf',
			    'image/jpeg', 'image/png')),
	size		bigint not null check (size > 0),
	created_at	timestamptz not null default now()
);
-- Who uploaded an attachment (before any case references it).
create table attachment_upload (
	sha256		text not null references attachment(sha256),
	person_id	bigint not null references person(id),
	file_name	text not null check (length(file_name) between 1 and 255),
	uploaded_at	timestamptz not null,
	primary key (sha256, person_id)
);
-- An attachment belongs to a case once a document of the case names it.
create table case_attachment (
	case_id		bigint not null references wf_case(id),
	sha256		text not null references attachment(sha256),
	case_document_id bigint not null references case_document(id),
	linked_at	timestamptz not null,
	primary key (case_id, sha256)
);

create table signature (
	id		bigint generated always as identity primary key,
	case_id		bigint not null references wf_case(id),
	case_document_id bigint not null references case_document(id),
	signer_id	bigint not null references person(id),
	commitment	text not null check (commitment in ('approval', 'origin',
			    'receipt')),
	signer_role	text not null,
	event		text not null,
	signing_time	timestamptz not null,
	cert_sha256	text not null check (cert_sha256 ~ '^[0-9a-f]{64}$'),
	cert_subject	text not null,
	xml		bytea not null,
	-- Every signature is its own act (a resubmission signs again), so
	-- only the signature bytes themselves are unique.
	xml_sha256	text not null unique check (xml_sha256 ~ '^[0-9a-f]{64}$'),
	created_at	timestamptz not null
);
create index signature_case on signature (case_id);

-- Phase one of two-phase signing: what the client must sign, for a short
-- while, for one person, one case version and one event.
create table signing_prepare (
	id_hash		text primary key check (id_hash ~ '^[0-9a-f]{64}$'),
	case_id		bigint not null references wf_case(id),
	case_version	int not null,
	event		text not null,
	person_id	bigint not null references person(id),
	-- The document signed: stored already, or brought by the transition
	-- (its canonical bytes kept here until the transition stores them).
	case_document_id bigint references case_document(id),
	document	bytea,
	commitment	text not null,
	skeleton	bytea not null,
	created_at	timestamptz not null,
	expires_at	timestamptz not null,
	used_at		timestamptz,
	check ((case_document_id is null) <> (document is null))
);

-- People assigned to a case in a capacity (commission chair and members,
-- the examiner of a disputed exam).
create table case_participant (
	case_id		bigint not null references wf_case(id),
	person_id	bigint not null references person(id),
	capacity	text not null check (capacity ~ '^[a-z_]{2,40}$'),
	assigned_by	bigint references person(id),
	assigned_at	timestamptz not null,
	primary key (case_id, person_id, capacity)
);

-- Progress of an all-of-N step set in the case's current visit to a state.
create table case_step (
	case_id		bigint not null references wf_case(id),
	round		int not null,
	parallel_id	text not null,
	step_id		text not null,
	person_id	bigint not null references person(id),
	signature_id	bigint references signature(id),
	done_at		timestamptz not null,
	primary key (case_id, round, parallel_id, step_id)
);

create table case_vote (
	case_id		bigint not null references wf_case(id),
	round		int not null,
	vote_id		text not null,
	person_id	bigint not null references person(id),
	option		text not null,
	voted_at	timestamptz not null,
	primary key (case_id, round, vote_id, person_id)
);

-- An order lists cases; each listed case has its item (the data the order
-- states for that learner).
create table case_link (
	from_case	bigint not null references wf_case(id),
	to_case		bigint not null references wf_case(id),
	item_no		int not null check (item_no > 0),
	event		text not null,
	item		jsonb not null,
	primary key (from_case, to_case),
	unique (from_case, item_no)
);
create index case_link_to on case_link (to_case);

-- Deadlines with their rule and citation.  A pending deadline past due is
-- claimed by one server (FOR UPDATE SKIP LOCKED) and fired exactly once.
create table deadline (
	id		bigint generated always as identity primary key,
	case_id		bigint not null references wf_case(id),
	name		text not null,
	title_kk	text not null,
	title_ru	text not null,
	title_en	text not null,
	due_at		timestamptz not null,
	rule		text not null,
	cite		text not null,
	on_expiry	text not null,
	state		text not null default 'pending' check (state in
			    ('pending', 'fired', 'cancelled')),
	set_at		timestamptz not null,
	closed_at	timestamptz,
	check ((state = 'pending') = (closed_at is null))
);
create unique index deadline_one_pending on deadline (case_id, name)
	where state = 'pending';
create index deadline_due on deadline (due_at) where state = 'pending';

-- What each case waits for, and from whom.  A row per (case, event, role,
-- unit on the path from the organisation down to the case's unit) or per
-- (case, event, person), so the inbox of a grant at unit U is one ordered
-- range of an index, whatever the number of cases (a closure table over
-- the unit tree, whose depth is a handful).
create table case_pending (
	case_id		bigint not null references wf_case(id),
	role		text,
	scope_unit	bigint references unit(id),
	person_id	bigint references person(id),
	event		text not null,
	due_at		timestamptz,
	since		timestamptz not null,
	check ((role is null) = (scope_unit is null)),
	check ((role is null) <> (person_id is null))
);
create index case_pending_case on case_pending (case_id);
create index case_pending_role on case_pending (role, scope_unit, due_at,
	case_id) where role is not null;
create index case_pending_person on case_pending (person_id, due_at, case_id)
	where person_id is not null;

-- Idempotency-Key: the first response to a key is replayed for retries.
create table idempotency (
	person_id	bigint not null references person(id),
	key		text not null check (length(key) between 1 and 128),
	request_sha256	text not null,
	status		int not null,
	body		bytea not null,
	created_at	timestamptz not null,
	primary key (person_id, key)
);

-- Gap-free order numbers: the counter row is locked and bumped in the same
-- transaction as the signature that registers the order, so a rollback
-- returns the number and concurrent registrations queue on the row.
create table order_counter (
	series		text not null,
	year		int not null,
	last_number	int not null check (last_number >= 0),
	primary key (series, year)
);
