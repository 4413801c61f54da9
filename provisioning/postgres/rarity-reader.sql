-- The role the Rarity datasource logs in as (README, Security): it reads the log tables and writes nothing but
-- its own results schema. docker-compose.yaml runs this file when the demo's PostgreSQL is first created,
-- before `rarity seed` creates public.weblogs as the owner (rarity); the default privileges below give the
-- reader SELECT on the tables the owner creates in public later. On your own server run it as the owner of
-- the log tables (psql -f), after changing the password.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rarity_reader') THEN
    CREATE ROLE rarity_reader LOGIN PASSWORD 'rarity_reader' NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
  END IF;
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO rarity_reader', current_database());
END
$$;

-- Reading the logs: USAGE on their schema and SELECT on its tables, those there now and those created later.
GRANT USAGE ON SCHEMA public TO rarity_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO rarity_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO rarity_reader;
-- No new tables next to the logs (PostgreSQL 15 and later already default to this).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- Detection results and model snapshots: the one schema the reader owns (the datasource's state schema).
CREATE SCHEMA IF NOT EXISTS rarity AUTHORIZATION rarity_reader;
