/**
 * SQL over the record files ({@link dev.allowdns.sql.RecordTables}): the query and connection
 * logs, current and rotated, loaded into the typed tables {@code queries} and {@code connections}
 * of an embedded DuckDB, for {@code allowdns logs sql}. Only that command touches this package, so
 * only it loads the engine.
 */
package dev.allowdns.sql;
