-- 0006_academic_calendar.sql: the academic calendar as data — periods of
-- an academic year (summer vacation, academic periods, sessions) that
-- workflow guards read with qj:in-period(kind).
--
-- A period with unit_id null applies to every organisation; one with a
-- unit applies to the cases of that unit and of the units under it (the
-- unit.path prefix rule of role grants).  Days are local (Asia/Almaty) and
-- inclusive.  The runtime reloads the table with the working-day calendar
-- (a few seconds), so an administrator's edit applies without a restart.

create table academic_period (
	id		bigint generated always as identity primary key,
	unit_id		bigint references unit(id),
	kind		text not null check (kind ~ '^[a-z][a-z0-9-]{0,47}$'),
	academic_year	text not null check (academic_year ~ '^[0-9]{4}-[0-9]{4}$'),
	starts_on	date not null,
	ends_on		date not null,
	title_kk	text not null check (length(title_kk) between 1 and 300),
	title_ru	text not null check (length(title_ru) between 1 and 300),
	title_en	text not null check (length(title_en) between 1 and 300),
	-- The act or rule the dates come from.
	source		text not null check (length(source) between 3 and 300),
	updated_by	bigint references person(id),
	updated_at	timestamptz not null default now(),
	check (ends_on >= starts_on)
);
create index academic_period_kind on academic_period (kind, starts_on);

-- Summer vacation, 2025-2027.  The regulations fix only that vacations lie
-- between academic periods and last at least seven weeks a year (seed 001
-- L1533-L1537), that a residency year is one academic period (seed 000
-- L594) and that transfer and reinstatement happen in the summer vacation
-- (seed 000 L950-L954).  The dates (1 July - 31 August, the year starting
-- on 1 September) are INFERRED: the university's academic calendar of each
-- year replaces them.
insert into academic_period (kind, academic_year, starts_on, ends_on,
    title_kk, title_ru, title_en, source) values
	('summer-vacation', '2024-2025', '2025-07-01', '2025-08-31',
	    'Жазғы каникул', 'Летние каникулы', 'Summer vacation',
	    'INFERRED; seed 001 L1533-L1537; seed 000 L950-L954'),
	('summer-vacation', '2025-2026', '2026-07-01', '2026-08-31',
	    'Жазғы каникул', 'Летние каникулы', 'Summer vacation',
	    'INFERRED; seed 001 L1533-L1537; seed 000 L950-L954'),
	('summer-vacation', '2026-2027', '2027-07-01', '2027-08-31',
	    'Жазғы каникул', 'Летние каникулы', 'Summer vacation',
	    'INFERRED; seed 001 L1533-L1537; seed 000 L950-L954');
