-- 0010_pending_replace.sql: a case's inbox rows are replaced through index
-- probes only.
--
-- Every transition deletes its case's case_pending rows and inserts the new
-- ones (app/flow/flow.c refresh_pending), so the table holds many dead
-- versions of each case's rows until autovacuum comes round (a minute at
-- best).  Measured under bench/transitions: the planner, with no
-- statistics yet or few rows per case, chose a bitmap scan for
-- "DELETE ... WHERE case_id = $1"; a bitmap scan visits every dead version
-- again on every transition (19 190 index entries for 6 live rows after
-- five thousand transitions of one case, 0.6 ms per delete, growing), and
-- because all cases insert into the same pages it touches most of the
-- table.  A plain index scan marks the dead entries it meets (LP_DEAD) and
-- skips them from then on.  The statement is the one the server ran
-- before, in a function whose plans are made with bitmap and sequential
-- scans disabled: it only ever touches one case's rows.
create function case_pending_replace(p_case bigint, p_roles text[],
    p_persons bigint[], p_events text[], p_units bigint[],
    p_since double precision) returns void
language plpgsql
set enable_bitmapscan = off
set enable_seqscan = off
as $$
begin
	delete from case_pending where case_id = p_case;
	insert into case_pending (case_id, role, scope_unit, person_id, event,
	    due_at, since)
	with r as (select * from unnest(p_roles, p_persons, p_events)
	    as t(role, person, event)),
	due as (select min(due_at) as at from deadline where case_id = p_case
	    and state = 'pending')
	select p_case, r.role, u.unit, null, r.event, due.at,
	    to_timestamp(p_since) from r, due, unnest(p_units) as u(unit)
	    where r.role is not null
	union all
	select p_case, null, null, r.person, r.event, due.at,
	    to_timestamp(p_since) from r, due where r.person is not null;
end $$;
