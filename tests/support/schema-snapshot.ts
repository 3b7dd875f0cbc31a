/**
 * The public schema as text, read from the catalog: what `pg_dump --schema-only` would show for
 * review, built by queries because no pg_dump for PostgreSQL 18 ships here. One line per
 * column, constraint, index, function, trigger, policy and grant, sorted, so a diff of the
 * committed snapshot names exactly what a migration changed.
 */
import type { Queryable } from '../../lib/db/pool.js';

const SECTIONS: Array<[string, string]> = [
  [
    'tables',
    `select c.relname || ' rls=' || c.relrowsecurity || coalesce(' ' || array_to_string(c.reloptions, ','), '') as line
       from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p') order by 1`,
  ],
  [
    'columns',
    `select table_name || '.' || column_name || ' ' || case when data_type = 'USER-DEFINED' or data_type = 'ARRAY' then udt_name else data_type end
            || case when is_nullable = 'NO' then ' not null' else '' end
            || coalesce(' default ' || column_default, '')
            || case when is_generated = 'ALWAYS' then ' generated ' || coalesce(generation_expression, '') else '' end as line
       from information_schema.columns where table_schema = 'public' order by table_name, ordinal_position`,
  ],
  [
    'constraints',
    `select conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) as line
       from pg_constraint where connamespace = 'public'::regnamespace and conrelid <> 0 order by 1`,
  ],
  ['indexes', `select indexdef as line from pg_indexes where schemaname = 'public' order by tablename, indexname`],
  [
    'functions',
    `select p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') returns ' || pg_get_function_result(p.oid)
            || ' ' || l.lanname || ' ' || case p.provolatile when 'i' then 'immutable' when 's' then 'stable' else 'volatile' end
            || case when p.prosecdef then ' security definer' else '' end
            || coalesce(' set ' || array_to_string(p.proconfig, ','), '')
            || ' body ' || md5(p.prosrc) as line
       from pg_proc p join pg_language l on l.oid = p.prolang
      where p.pronamespace = 'public'::regnamespace order by 1`,
  ],
  ['triggers', `select pg_get_triggerdef(oid) as line from pg_trigger where not tgisinternal and tgrelid::regclass::text not like 'pg_%' order by 1`],
  [
    'policies',
    `select tablename || ' ' || policyname || ' ' || permissive || ' ' || cmd || ' to ' || array_to_string(roles, ',')
            || coalesce(' using ' || qual, '') || coalesce(' check ' || with_check, '') as line
       from pg_policies where schemaname in ('public', 'storage') order by 1`,
  ],
  [
    'grants',
    `select table_name || ' ' || grantee || ' ' || string_agg(privilege_type, ',' order by privilege_type) as line
       from information_schema.role_table_grants
      where table_schema = 'public' and grantee in ('anon', 'authenticated', 'service_role', 'PUBLIC')
      group by table_name, grantee order by 1`,
  ],
];

export async function schemaSnapshot(db: Queryable): Promise<string> {
  const out: string[] = [];
  for (const [name, sql] of SECTIONS) {
    const { rows } = await db.query<{ line: string }>(sql);
    out.push(`-- ${name}`, ...rows.map((r) => r.line.replace(/\s+/g, ' ').trim()), '');
  }
  return out.join('\n');
}
