/**
 * Records: one JSON line per DNS query ({@link dev.allowdns.audit.QueryRecord}) and per
 * connection ({@link dev.allowdns.audit.ConnectionRecord}), written by a {@link
 * dev.allowdns.audit.RecordLog} that rotates by size and day, caps the total, holds records for a
 * disk that fails, and says when it cannot keep them ({@link dev.allowdns.audit.HoldPolicy}): the
 * resolver and the relay consult it before taking new work.
 */
package dev.allowdns.audit;
