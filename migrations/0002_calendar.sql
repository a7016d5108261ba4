-- 0002_calendar.sql: the Kazakhstan working-day calendar and time zone,
-- kept as data an administrator can edit (SPEC.md section 2; facts in
-- ../shared/domain/calendar.md).  app/core/calendar.c computes with it.
--
-- calendar_day stores only the exceptions to "Monday-Friday are working
-- days", plus every public holiday, even one that falls on a Saturday or
-- Sunday, so that it can be shown by name.  Kinds:
--   holiday               a day of a national, state or religious holiday
--   holiday-carryover     the day off carried to the next working day when a
--                         non-religious holiday falls on a Saturday or Sunday
--                         (Law "On holidays in the Republic of Kazakhstan",
--                         art. 5; religious holidays are not carried over)
--   transfer-day-off      a weekday made a day off by the yearly transfer act
--   transfer-working-day  a Saturday or Sunday made a working day by it
-- Since 2024 the yearly transfers are ordered by the authorised body for
-- labour (Labour Code art. 85 p. 3), earlier by Government decree.
-- The working week is the five-day week.
--
-- Rows are one per line; tests/unit/test_calendar.c reads this file and
-- checks every row against the rules above and the published calendars.
-- The migration runner wraps this file in a transaction.

CREATE TABLE calendar_day (
	day		date PRIMARY KEY,
	working		boolean NOT NULL,
	kind		text NOT NULL CHECK (kind IN ('holiday',
			    'holiday-carryover', 'transfer-day-off',
			    'transfer-working-day')),
	name_kk		text NOT NULL,
	name_ru		text NOT NULL,
	name_en		text NOT NULL,
	source		text NOT NULL,
	updated_by	bigint NULL REFERENCES person (id),
					-- who last edited the row; NULL for
					-- seed data
	updated_at	timestamptz NOT NULL DEFAULT now(),
	CHECK (working = (kind = 'transfer-working-day'))
);

COMMENT ON TABLE calendar_day IS
    'Exceptions to the Monday-Friday working week, and every public '
    'holiday by name; see migrations/0002_calendar.sql.';

CREATE TABLE time_zone_rule (
	valid_from		date PRIMARY KEY,
	utc_offset_minutes	int NOT NULL CHECK (utc_offset_minutes
				    BETWEEN -720 AND 840),
	name			text NOT NULL,
	source			text NOT NULL
);

COMMENT ON TABLE time_zone_rule IS
    'UTC offset of Kazakhstan (one zone for the whole country) from 00:00 '
    'local time of valid_from, reckoned at the previous offset.';

-- Asia/Almaty was on +06 with summer time (+07) until 2004-10-31 and on
-- plain +06 from then; the first row also stands for every earlier instant,
-- so summers before 2004 are off by an hour (Qujat holds no such instants).
-- The whole country went to +05 at 00:00 on 2024-03-01 (clocks set back one
-- hour at 2024-02-29 18:00 UTC, as tzdata has it).
INSERT INTO time_zone_rule (valid_from, utc_offset_minutes, name, source) VALUES
	('2004-10-31', 360, 'UTC+6 (Asia/Almaty standard time, no summer time)', 'Government decree No 1749 of 23.11.2000 "On the procedure for computing time in the RK"; tzdata Asia/Almaty'),
	('2024-03-01', 300, 'UTC+5 (one time zone for the whole country)', 'Government decree of 19.01.2024 amending decree No 1749 of 23.11.2000: 5th time zone from 00:00 01.03.2024; tzdata Asia/Almaty; calendar.md');

-- 2025.  Carry-overs: 8 Mar (Sat) -> 10 Mar; Nauryz 22-23 Mar (Sat, Sun) ->
-- 24-25 Mar; 6 Jul (Sun) -> 7 Jul; 30 Aug (Sat) -> 1 Sep; 25 Oct (Sat) ->
-- 27 Oct.  Transfer: order of the Minister of Labour and Social Protection
-- of 21.11.2024 moved the day off from Sunday 5 Jan to Friday 3 Jan (the
-- ministry said no other transfer was planned for 2025; reported by
-- smartnews.kz/ru/news/18380, kz.kursiv.media 2024-12-23, energy-city.kz).
-- The order's number was not found.
INSERT INTO calendar_day (day, working, kind, name_kk, name_ru, name_en, source) VALUES
	('2025-01-01', false, 'holiday', 'Жаңа жыл', 'Новый год', 'New Year', 'Law On holidays in the RK art. 5; calendar.md'),
	('2025-01-02', false, 'holiday', 'Жаңа жыл', 'Новый год', 'New Year', 'Law On holidays in the RK art. 5; calendar.md'),
	('2025-01-03', false, 'transfer-day-off', 'Демалыс күні (5 қаңтардан ауыстырылды)', 'Выходной день (перенесён с 5 января)', 'Day off (moved from 5 January)', 'Order of the Minister of Labour and Social Protection of the RK of 21.11.2024 (Labour Code art. 85 p. 3): day off moved from Sun 05.01.2025 to Fri 03.01.2025'),
	('2025-01-05', true, 'transfer-working-day', 'Жұмыс күні (демалыс 3 қаңтарға ауыстырылды)', 'Рабочий день (выходной перенесён на 3 января)', 'Working day (day off moved to 3 January)', 'Order of the Minister of Labour and Social Protection of the RK of 21.11.2024 (Labour Code art. 85 p. 3): day off moved from Sun 05.01.2025 to Fri 03.01.2025'),
	('2025-01-07', false, 'holiday', 'Православиелік Рождество', 'Православное Рождество', 'Orthodox Christmas', 'Law On holidays in the RK art. 5 (religious holiday, no carry-over); calendar.md'),
	('2025-03-08', false, 'holiday', 'Халықаралық әйелдер күні', 'Международный женский день', 'International Women''s Day', 'Law On holidays in the RK art. 5; calendar.md'),
	('2025-03-10', false, 'holiday-carryover', 'Халықаралық әйелдер күні (ауыстырылған демалыс)', 'Международный женский день (перенос выходного)', 'International Women''s Day (day off carried over)', 'Law On holidays in the RK art. 5: 08.03.2025 is a Saturday; calendar.md'),
	('2025-03-21', false, 'holiday', 'Наурыз мейрамы', 'Наурыз мейрамы', 'Nauryz meyramy', 'Law On holidays in the RK art. 5; calendar.md'),
	('2025-03-22', false, 'holiday', 'Наурыз мейрамы', 'Наурыз мейрамы', 'Nauryz meyramy', 'Law On holidays in the RK art. 5; calendar.md'),
	('2025-03-23', false, 'holiday', 'Наурыз мейрамы', 'Наурыз мейрамы', 'Nauryz meyramy', 'Law On holidays in the RK art. 5; calendar.md'),
	('2025-03-24', false, 'holiday-carryover', 'Наурыз мейрамы (ауыстырылған демалыс)', 'Наурыз мейрамы (перенос выходного)', 'Nauryz meyramy (day off carried over)', 'Law On holidays in the RK art. 5: 22.03.2025 is a Saturday; calendar.md'),
	('2025-03-25', false, 'holiday-carryover', 'Наурыз мейрамы (ауыстырылған демалыс)', 'Наурыз мейрамы (перенос выходного)', 'Nauryz meyramy (day off carried over)', 'Law On holidays in the RK art. 5: 23.03.2025 is a Sunday; calendar.md'),
	('2025-05-01', false, 'holiday', 'Қазақстан халқының бірлігі мерекесі', 'Праздник единства народа Казахстана', 'Unity Day of the People of Kazakhstan', 'Law On holidays in the RK art. 5; calendar.md'),
	('2025-05-07', false, 'holiday', 'Отан қорғаушы күні', 'День защитника Отечества', 'Defender of the Fatherland Day', 'Law On holidays in the RK art. 5; calendar.md'),
	('2025-05-09', false, 'holiday', 'Жеңіс күні', 'День Победы', 'Victory Day', 'Law On holidays in the RK art. 5; calendar.md'),
	('2025-06-06', false, 'holiday', 'Құрбан айттың бірінші күні', 'Первый день Курбан айта', 'Kurban Ait (first day)', 'Law On holidays in the RK art. 5 (religious holiday, no carry-over); date per calendar.md (6 June 2025)'),
	('2025-07-06', false, 'holiday', 'Астана күні', 'День столицы', 'Capital Day', 'Law On holidays in the RK art. 5; calendar.md'),
	('2025-07-07', false, 'holiday-carryover', 'Астана күні (ауыстырылған демалыс)', 'День столицы (перенос выходного)', 'Capital Day (day off carried over)', 'Law On holidays in the RK art. 5: 06.07.2025 is a Sunday; calendar.md'),
	('2025-08-30', false, 'holiday', 'Қазақстан Республикасының Конституциясы күні', 'День Конституции Республики Казахстан', 'Constitution Day', 'Law On holidays in the RK art. 5; calendar.md'),
	('2025-09-01', false, 'holiday-carryover', 'Конституция күні (ауыстырылған демалыс)', 'День Конституции (перенос выходного)', 'Constitution Day (day off carried over)', 'Law On holidays in the RK art. 5: 30.08.2025 is a Saturday; calendar.md'),
	('2025-10-25', false, 'holiday', 'Республика күні', 'День Республики', 'Republic Day', 'Law On holidays in the RK art. 5; calendar.md'),
	('2025-10-27', false, 'holiday-carryover', 'Республика күні (ауыстырылған демалыс)', 'День Республики (перенос выходного)', 'Republic Day (day off carried over)', 'Law On holidays in the RK art. 5: 25.10.2025 is a Saturday; calendar.md'),
	('2025-12-16', false, 'holiday', 'Тәуелсіздік күні', 'День Независимости', 'Independence Day', 'Law On holidays in the RK art. 5; calendar.md');

-- 2026.  Carry-overs: 8 Mar (Sun) -> 9 Mar; Nauryz 21-22 Mar (Sat, Sun) ->
-- 24-25 Mar (23 Mar is itself Nauryz); 9 May (Sat) -> 11 May; 30 Aug (Sun)
-- -> 31 Aug; 25 Oct (Sun) -> 26 Oct.  No transfer act for 2026 was found:
-- the published 2026 calendars (egov.kz as reported by alau.kz 2026-01-02,
-- inform.kz 2026-01-02, baq.kz) list only the carry-overs above, and
-- 30-31 Dec 2025 and 5-6 Jan 2026 stay working days.  None is added.
INSERT INTO calendar_day (day, working, kind, name_kk, name_ru, name_en, source) VALUES
	('2026-01-01', false, 'holiday', 'Жаңа жыл', 'Новый год', 'New Year', 'Law On holidays in the RK art. 5; calendar.md'),
	('2026-01-02', false, 'holiday', 'Жаңа жыл', 'Новый год', 'New Year', 'Law On holidays in the RK art. 5; calendar.md'),
	('2026-01-07', false, 'holiday', 'Православиелік Рождество', 'Православное Рождество', 'Orthodox Christmas', 'Law On holidays in the RK art. 5 (religious holiday, no carry-over); calendar.md'),
	('2026-03-08', false, 'holiday', 'Халықаралық әйелдер күні', 'Международный женский день', 'International Women''s Day', 'Law On holidays in the RK art. 5; calendar.md'),
	('2026-03-09', false, 'holiday-carryover', 'Халықаралық әйелдер күні (ауыстырылған демалыс)', 'Международный женский день (перенос выходного)', 'International Women''s Day (day off carried over)', 'Law On holidays in the RK art. 5: 08.03.2026 is a Sunday; calendar.md'),
	('2026-03-21', false, 'holiday', 'Наурыз мейрамы', 'Наурыз мейрамы', 'Nauryz meyramy', 'Law On holidays in the RK art. 5; calendar.md'),
	('2026-03-22', false, 'holiday', 'Наурыз мейрамы', 'Наурыз мейрамы', 'Nauryz meyramy', 'Law On holidays in the RK art. 5; calendar.md'),
	('2026-03-23', false, 'holiday', 'Наурыз мейрамы', 'Наурыз мейрамы', 'Nauryz meyramy', 'Law On holidays in the RK art. 5; calendar.md'),
	('2026-03-24', false, 'holiday-carryover', 'Наурыз мейрамы (ауыстырылған демалыс)', 'Наурыз мейрамы (перенос выходного)', 'Nauryz meyramy (day off carried over)', 'Law On holidays in the RK art. 5: 21.03.2026 is a Saturday; calendar.md'),
	('2026-03-25', false, 'holiday-carryover', 'Наурыз мейрамы (ауыстырылған демалыс)', 'Наурыз мейрамы (перенос выходного)', 'Nauryz meyramy (day off carried over)', 'Law On holidays in the RK art. 5: 22.03.2026 is a Sunday; calendar.md'),
	('2026-05-01', false, 'holiday', 'Қазақстан халқының бірлігі мерекесі', 'Праздник единства народа Казахстана', 'Unity Day of the People of Kazakhstan', 'Law On holidays in the RK art. 5; calendar.md'),
	('2026-05-07', false, 'holiday', 'Отан қорғаушы күні', 'День защитника Отечества', 'Defender of the Fatherland Day', 'Law On holidays in the RK art. 5; calendar.md'),
	('2026-05-09', false, 'holiday', 'Жеңіс күні', 'День Победы', 'Victory Day', 'Law On holidays in the RK art. 5; calendar.md'),
	('2026-05-11', false, 'holiday-carryover', 'Жеңіс күні (ауыстырылған демалыс)', 'День Победы (перенос выходного)', 'Victory Day (day off carried over)', 'Law On holidays in the RK art. 5: 09.05.2026 is a Saturday; calendar.md'),
	('2026-05-27', false, 'holiday', 'Құрбан айттың бірінші күні', 'Первый день Курбан айта', 'Kurban Ait (first day)', 'Law On holidays in the RK art. 5 (religious holiday, no carry-over); date as announced for 2026; calendar.md'),
	('2026-07-06', false, 'holiday', 'Астана күні', 'День столицы', 'Capital Day', 'Law On holidays in the RK art. 5; calendar.md'),
	('2026-08-30', false, 'holiday', 'Қазақстан Республикасының Конституциясы күні', 'День Конституции Республики Казахстан', 'Constitution Day', 'Law On holidays in the RK art. 5; calendar.md'),
	('2026-08-31', false, 'holiday-carryover', 'Конституция күні (ауыстырылған демалыс)', 'День Конституции (перенос выходного)', 'Constitution Day (day off carried over)', 'Law On holidays in the RK art. 5: 30.08.2026 is a Sunday; calendar.md'),
	('2026-10-25', false, 'holiday', 'Республика күні', 'День Республики', 'Republic Day', 'Law On holidays in the RK art. 5; calendar.md'),
	('2026-10-26', false, 'holiday-carryover', 'Республика күні (ауыстырылған демалыс)', 'День Республики (перенос выходного)', 'Republic Day (day off carried over)', 'Law On holidays in the RK art. 5: 25.10.2026 is a Sunday; calendar.md'),
	('2026-12-16', false, 'holiday', 'Тәуелсіздік күні', 'День Независимости', 'Independence Day', 'Law On holidays in the RK art. 5; calendar.md');

-- 2027.  Carry-overs: 2 Jan (Sat) -> 4 Jan; Nauryz 21 Mar (Sun) -> 24 Mar
-- (22-23 Mar are themselves Nauryz); 1 May (Sat) -> 3 May; 9 May (Sun) ->
-- 10 May.  Kurban Ait, 16 May, is a Sunday and, being religious, is not
-- carried over.  No transfer act for 2027 could be confirmed (none was
-- found published); none is added.  Add it here, or through the admin
-- screen, once the authorised body issues it.
INSERT INTO calendar_day (day, working, kind, name_kk, name_ru, name_en, source) VALUES
	('2027-01-01', false, 'holiday', 'Жаңа жыл', 'Новый год', 'New Year', 'Law On holidays in the RK art. 5; calendar.md'),
	('2027-01-02', false, 'holiday', 'Жаңа жыл', 'Новый год', 'New Year', 'Law On holidays in the RK art. 5; calendar.md'),
	('2027-01-04', false, 'holiday-carryover', 'Жаңа жыл (ауыстырылған демалыс)', 'Новый год (перенос выходного)', 'New Year (day off carried over)', 'Law On holidays in the RK art. 5: 02.01.2027 is a Saturday; calendar.md'),
	('2027-01-07', false, 'holiday', 'Православиелік Рождество', 'Православное Рождество', 'Orthodox Christmas', 'Law On holidays in the RK art. 5 (religious holiday, no carry-over); calendar.md'),
	('2027-03-08', false, 'holiday', 'Халықаралық әйелдер күні', 'Международный женский день', 'International Women''s Day', 'Law On holidays in the RK art. 5; calendar.md'),
	('2027-03-21', false, 'holiday', 'Наурыз мейрамы', 'Наурыз мейрамы', 'Nauryz meyramy', 'Law On holidays in the RK art. 5; calendar.md'),
	('2027-03-22', false, 'holiday', 'Наурыз мейрамы', 'Наурыз мейрамы', 'Nauryz meyramy', 'Law On holidays in the RK art. 5; calendar.md'),
	('2027-03-23', false, 'holiday', 'Наурыз мейрамы', 'Наурыз мейрамы', 'Nauryz meyramy', 'Law On holidays in the RK art. 5; calendar.md'),
	('2027-03-24', false, 'holiday-carryover', 'Наурыз мейрамы (ауыстырылған демалыс)', 'Наурыз мейрамы (перенос выходного)', 'Nauryz meyramy (day off carried over)', 'Law On holidays in the RK art. 5: 21.03.2027 is a Sunday; calendar.md'),
	('2027-05-01', false, 'holiday', 'Қазақстан халқының бірлігі мерекесі', 'Праздник единства народа Казахстана', 'Unity Day of the People of Kazakhstan', 'Law On holidays in the RK art. 5; calendar.md'),
	('2027-05-03', false, 'holiday-carryover', 'Қазақстан халқының бірлігі мерекесі (ауыстырылған демалыс)', 'Праздник единства народа Казахстана (перенос выходного)', 'Unity Day of the People of Kazakhstan (day off carried over)', 'Law On holidays in the RK art. 5: 01.05.2027 is a Saturday; calendar.md'),
	('2027-05-07', false, 'holiday', 'Отан қорғаушы күні', 'День защитника Отечества', 'Defender of the Fatherland Day', 'Law On holidays in the RK art. 5; calendar.md'),
	('2027-05-09', false, 'holiday', 'Жеңіс күні', 'День Победы', 'Victory Day', 'Law On holidays in the RK art. 5; calendar.md'),
	('2027-05-10', false, 'holiday-carryover', 'Жеңіс күні (ауыстырылған демалыс)', 'День Победы (перенос выходного)', 'Victory Day (day off carried over)', 'Law On holidays in the RK art. 5: 09.05.2027 is a Sunday; calendar.md'),
	('2027-05-16', false, 'holiday', 'Құрбан айттың бірінші күні', 'Первый день Курбан айта', 'Kurban Ait (first day)', 'Law On holidays in the RK art. 5 (religious holiday, no carry-over); expected date, confirm the 2027 announcement; calendar.md'),
	('2027-07-06', false, 'holiday', 'Астана күні', 'День столицы', 'Capital Day', 'Law On holidays in the RK art. 5; calendar.md'),
	('2027-08-30', false, 'holiday', 'Қазақстан Республикасының Конституциясы күні', 'День Конституции Республики Казахстан', 'Constitution Day', 'Law On holidays in the RK art. 5; calendar.md'),
	('2027-10-25', false, 'holiday', 'Республика күні', 'День Республики', 'Republic Day', 'Law On holidays in the RK art. 5; calendar.md'),
	('2027-12-16', false, 'holiday', 'Тәуелсіздік күні', 'День Независимости', 'Independence Day', 'Law On holidays in the RK art. 5; calendar.md');
