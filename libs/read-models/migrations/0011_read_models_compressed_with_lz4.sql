-- The read models' JSON and text columns compress what they store with lz4 where the server has
-- it (PostgreSQL 14 and later built with lz4, as the usual packages are). A dispute's view is a
-- few kilobytes of JSON, compressed on every write: pglz cost PostgreSQL about a tenth of its CPU
-- in a rebuild, lz4 a fraction of that, and it reads back faster. Only new values use it; those
-- stored before stay pglz and read as before. A server without lz4 (PGlite) keeps pglz. Tables a
-- blue/green rebuild creates copy the setting (`LIKE … INCLUDING ALL`).
DO $$
DECLARE
  col record;
BEGIN
  IF EXISTS (SELECT 1 FROM pg_settings
              WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
    FOR col IN
      SELECT c.relname, a.attname
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'read_models' AND c.relkind IN ('r', 'p')
         AND a.attnum > 0 AND NOT a.attisdropped
         AND a.atttypid IN ('jsonb'::regtype, 'json'::regtype, 'text'::regtype)
    LOOP
      EXECUTE format('ALTER TABLE read_models.%I ALTER COLUMN %I SET COMPRESSION lz4',
                     col.relname, col.attname);
    END LOOP;
  END IF;
END $$;
