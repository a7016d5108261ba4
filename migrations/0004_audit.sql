-- 0004_audit.sql: the tamper-evident audit log (SPEC section 4, issue 4
-- item 6).  See docs/audit.md for the canonical form and the hash chain;
-- app/core/audit.c computes both, app/store/audit.c is the only writer.
--
-- Events are grouped into streams: "case:<id>" for everything that happens
-- to one case, "accounts" for account administration, "calendar" for
-- calendar edits, "system" for the rest.  Within a stream, seq runs 1, 2, 3
-- ... without gaps, and each event stores
--	hash = SHA-256(prev_hash || canonical event)
-- where prev_hash is the hash of the event before it (64 zeros for seq 1).
--
-- audit_head holds the last seq and hash of each stream.  It makes an append
-- O(1) (lock the head row, read seq and hash, insert, move the head), it
-- serialises appends to one stream while different streams proceed in
-- parallel, and it is the anchor that reveals a chain cut short at its end.
--
-- Append-only: triggers refuse UPDATE, DELETE and TRUNCATE on audit_event,
-- refuse to delete a head, and let a head move only one step forward onto
-- the event just inserted.  The only way around them is the superuser-only,
-- per-session switch that disables ordinary triggers:
--	SET LOCAL session_replication_role = replica;
-- Tests that tamper on purpose use it; nothing else should.  (A custom
-- setting such as qujat.allow_tamper was rejected: any role may set custom
-- settings, so it would be a switch in the application role's hands.)  In
-- production the server should not own these tables, and should hold only
-- SELECT and INSERT on audit_event and SELECT, INSERT and UPDATE on
-- audit_head.  The triggers guard against accidents and bugs; tampering by
-- someone who controls the database is what the hash chain reveals.

create table audit_event (
	id		bigint generated always as identity primary key,
	stream		text collate "C" not null check (stream ~
			    '^(case:[1-9][0-9]{0,18}|accounts|calendar|system)$'),
	seq		int not null check (seq > 0),
	case_id		bigint references wf_case(id),
	at		timestamptz not null,
	actor_id	bigint references person(id),
	actor_login	text check (length(actor_login) <= 64),
	action		text not null check (action ~ '^[a-z][a-z0-9._-]{0,63}$'),
	state_before	text check (length(state_before) <= 64),
	state_after	text check (length(state_after) <= 64),
	document_hashes	text[] not null default '{}',
	request_id	text check (length(request_id) <= 64),
	address		text check (length(address) <= 64),
	detail		jsonb not null default '{}'
			    check (jsonb_typeof(detail) = 'object'),
	prev_hash	text not null check (prev_hash ~ '^[0-9a-f]{64}$'),
	hash		text not null unique check (hash ~ '^[0-9a-f]{64}$'),
	unique (stream, seq),
	-- case_id is the stream's case, so "by case" is an indexed column.
	check (case when stream like 'case:%'
	    then case_id is not null and stream = 'case:' || case_id
	    else case_id is null end),
	check ((seq = 1) = (prev_hash = repeat('0', 64)))
);
-- Reading a stream in order uses the unique (stream, seq) index; reading a
-- case's events uses this one.  Streams sort by their bytes (collation "C"),
-- so the verifier can walk events and heads side by side in one order.
create index audit_event_case on audit_event (case_id, seq)
	where case_id is not null;

create table audit_head (
	stream		text collate "C" primary key,
	seq		int not null check (seq >= 0),
	hash		text not null check (hash ~ '^[0-9a-f]{64}$'),
	check ((seq = 0) = (hash = repeat('0', 64)))
);

-- An event extends its stream's chain: seq 1 with 64 zeros, or the next seq
-- after an existing event whose hash it names as prev_hash.  (Whether hash
-- itself is right needs the canonical form; app/core/audit.c checks that.)
create function audit_event_link() returns trigger language plpgsql as $$
begin
	if new.seq > 1 and not exists (select 1 from audit_event
	    where stream = new.stream and seq = new.seq - 1
	    and hash = new.prev_hash) then
		raise exception 'audit event %/% does not extend its chain',
		    new.stream, new.seq using errcode = 'P0001';
	end if;
	return new;
end $$;
create trigger audit_event_link before insert on audit_event
	for each row execute function audit_event_link();

create function audit_refuse() returns trigger language plpgsql as $$
begin
	raise exception '% on % refused: the audit log is append-only',
	    tg_op, tg_table_name using errcode = 'P0001';
end $$;
create trigger audit_event_no_update before update or delete on audit_event
	for each row execute function audit_refuse();
create trigger audit_event_no_truncate before truncate on audit_event
	for each statement execute function audit_refuse();
create trigger audit_head_no_delete before delete on audit_head
	for each row execute function audit_refuse();
create trigger audit_head_no_truncate before truncate on audit_head
	for each statement execute function audit_refuse();

-- A head starts at seq 0 and moves one event at a time, onto an event that
-- exists with exactly that hash.
create function audit_head_move() returns trigger language plpgsql as $$
begin
	if tg_op = 'INSERT' then
		if new.seq <> 0 then
			raise exception 'audit head % must start at seq 0',
			    new.stream using errcode = 'P0001';
		end if;
		return new;
	end if;
	if new.stream <> old.stream or new.seq <> old.seq + 1 or
	    not exists (select 1 from audit_event where stream = new.stream
	    and seq = new.seq and hash = new.hash) then
		raise exception 'audit head % may only move to its next event',
		    old.stream using errcode = 'P0001';
	end if;
	return new;
end $$;
create trigger audit_head_move before insert or update on audit_head
	for each row execute function audit_head_move();
