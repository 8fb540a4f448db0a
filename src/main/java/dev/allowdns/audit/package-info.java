/**
 * Records: one JSON line per DNS query ({@link dev.allowdns.audit.QueryRecord}), written by a
 * {@link dev.allowdns.audit.RecordLog} that rotates by size, caps the total and never drops.
 */
package dev.allowdns.audit;
