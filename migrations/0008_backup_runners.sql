-- Which console is running a backup or a batch. While a console runs backup jobs it holds
-- a session advisory lock (pg_try_advisory_lock(1852007217, runner), 1852007217 = 'ncc1') on a
-- connection of its own. A row still 'running' whose runner holds no such lock belongs to
-- a console that stopped (crash, killed, lost network): other consoles show it as
-- interrupted instead of running for ever. Rows from consoles before this migration have
-- no runner and are left as they are. Additive only.
ALTER TABLE console.backup_catalog ADD COLUMN IF NOT EXISTS runner integer;
ALTER TABLE console.backup_batches ADD COLUMN IF NOT EXISTS runner integer;
CREATE INDEX IF NOT EXISTS backup_catalog_running_idx ON console.backup_catalog (runner) WHERE status = 'running';
