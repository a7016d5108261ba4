-- 0001_foundation.sql: organisations, units, people, roles, credentials,
-- sessions, API tokens, login throttling.
--
-- The migration runner wraps this file in one transaction and records it in
-- schema_migration.  Constraints here are the last line of defence: the
-- application validates first and answers 4xx, but nothing malformed can be
-- stored even by a bug.

create table organisation (
	id		bigint generated always as identity primary key,
	kind		text not null check (kind in ('university', 'customer')),
	bin		char(12) not null unique check (bin ~ '^[0-9]{12}$'),
	name_kk		text not null check (length(name_kk) between 1 and 300),
	name_ru		text not null check (length(name_ru) between 1 and 300),
	name_en		text not null check (length(name_en) between 1 and 300),
	created_at	timestamptz not null default now()
);

-- Units form a tree inside an organisation.  A role granted at a unit covers
-- the unit and everything below it; `path` ("/1/4/") makes that a prefix test.
create table unit (
	id		bigint generated always as identity primary key,
	org_id		bigint not null references organisation(id),
	parent_id	bigint references unit(id),
	code		text not null unique check (code ~ '^[a-z][a-z0-9-]{0,39}$'),
	kind		text not null check (kind in ('organisation', 'faculty',
			    'registrar', 'legal', 'rectorate', 'commission',
			    'department')),
	name_kk		text not null check (length(name_kk) between 1 and 300),
	name_ru		text not null check (length(name_ru) between 1 and 300),
	name_en		text not null check (length(name_en) between 1 and 300),
	path		text not null,
	created_at	timestamptz not null default now()
);
create index unit_path on unit (path text_pattern_ops);

create function unit_set_path() returns trigger language plpgsql as $$
declare
	parent unit%rowtype;
begin
	if tg_op = 'UPDATE' and (new.parent_id is distinct from old.parent_id
	    or new.org_id <> old.org_id) then
		raise exception 'a unit cannot move' using errcode = '23514';
	end if;
	if new.parent_id is null then
		new.path := '/' || new.id || '/';
	else
		select * into parent from unit where id = new.parent_id;
		if parent.org_id <> new.org_id then
			raise exception 'parent unit belongs to another organisation'
			    using errcode = '23514';
		end if;
		new.path := parent.path || new.id || '/';
	end if;
	return new;
end $$;
create trigger unit_path before insert or update on unit
	for each row execute function unit_set_path();

-- Roles of SPEC section 1, as data with their names in three languages.
create table role (
	code		text primary key check (code ~ '^[a-z_]{2,40}$'),
	name_kk		text not null,
	name_ru		text not null,
	name_en		text not null
);
insert into role (code, name_kk, name_ru, name_en) values
	('applicant', 'Өтініш беруші', 'Заявитель', 'Applicant'),
	('dean_office', 'Деканат', 'Деканат', 'Dean''s office'),
	('registrar', 'Тіркеуші кеңсе', 'Офис регистратора', 'Registrar Office'),
	('legal', 'Заң бөлімі', 'Юридический отдел', 'Legal Department'),
	('vice_rector', 'Оқу ісі жөніндегі проректор', 'Проректор по академической работе', 'Vice-rector for academic affairs'),
	('rector', 'Басқарма төрағасы – Ректор', 'Председатель Правления – Ректор', 'Chairman of the Board – Rector'),
	('commission_chair', 'Комиссия төрағасы', 'Председатель комиссии', 'Commission chair'),
	('commission_member', 'Комиссия мүшесі', 'Член комиссии', 'Commission member'),
	('customer_rep', 'Тапсырыс берушінің өкілі', 'Представитель заказчика', 'Customer representative'),
	('auditor', 'Аудитор', 'Аудитор', 'Auditor'),
	('admin', 'Жүйе әкімшісі', 'Системный администратор', 'System administrator');

create table person (
	id		bigint generated always as identity primary key,
	iin		char(12) not null unique check (iin ~ '^[0-9]{12}$'),
	login		text not null unique
			    check (login ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
	name_kk		text not null check (length(name_kk) between 1 and 300),
	name_ru		text not null check (length(name_ru) between 1 and 300),
	name_en		text not null check (length(name_en) between 1 and 300),
	email		text check (email is null or (length(email) <= 254
			    and email ~ '^[^@[:space:]]+@[^@[:space:]]+$')),
	-- The organisation a representative signs for (BIN in the certificate).
	org_id		bigint references organisation(id),
	home_unit_id	bigint references unit(id),
	disabled	boolean not null default false,
	created_at	timestamptz not null default now()
);

create table credential (
	person_id	bigint primary key references person(id) on delete cascade,
	password_hash	text not null check (password_hash like '$argon2id$%'),
	changed_at	timestamptz not null default now()
);

create table role_grant (
	id		bigint generated always as identity primary key,
	person_id	bigint not null references person(id),
	role		text not null references role(code),
	unit_id		bigint not null references unit(id),
	granted_by	bigint references person(id),
	granted_at	timestamptz not null default now(),
	revoked_by	bigint references person(id),
	revoked_at	timestamptz
);
create unique index role_grant_active on role_grant (person_id, role, unit_id)
	where revoked_at is null;
create index role_grant_person on role_grant (person_id) where revoked_at is null;

-- Server-side sessions.  Only the SHA-256 of the cookie value is stored, so
-- a copy of the table does not let anyone in.
create table session (
	token_hash	text primary key check (token_hash ~ '^[0-9a-f]{64}$'),
	person_id	bigint not null references person(id),
	csrf_token	text not null check (length(csrf_token) = 43),
	created_at	timestamptz not null,
	last_seen_at	timestamptz not null,
	expires_at	timestamptz not null,
	address		text not null check (length(address) <= 64),
	user_agent	text check (length(user_agent) <= 512),
	revoked_at	timestamptz,
	check (expires_at > created_at)
);
create index session_person on session (person_id);

-- Bearer tokens for integrations; the secret is shown once, stored hashed.
create table api_token (
	id		bigint generated always as identity primary key,
	person_id	bigint not null references person(id),
	name		text not null check (length(name) between 1 and 100),
	token_hash	text not null unique check (token_hash ~ '^[0-9a-f]{64}$'),
	created_by	bigint not null references person(id),
	created_at	timestamptz not null,
	expires_at	timestamptz,
	last_used_at	timestamptz,
	revoked_at	timestamptz
);
create index api_token_person on api_token (person_id);

-- Failed logins, counted per login name (existing or not) and per address.
create table login_failure (
	id		bigint generated always as identity primary key,
	login		text not null check (length(login) <= 128),
	address		text not null check (length(address) <= 64),
	at		timestamptz not null
);
create index login_failure_login on login_failure (login, at);
create index login_failure_address on login_failure (address, at);

-- The injectable clock of a test server (QUJAT_TEST_CLOCK=1): one row, the
-- offset every request adds to real time.  Production servers never read it.
create table test_clock (
	id		int primary key check (id = 1),
	offset_seconds	bigint not null
);
