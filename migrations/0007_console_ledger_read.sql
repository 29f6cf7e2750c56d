-- Console roles may read which console migrations a database has (the connection
-- test lists pending ones); only the migration runner writes the ledger.
GRANT SELECT ON console.schema_migrations TO nchat_console_support;
