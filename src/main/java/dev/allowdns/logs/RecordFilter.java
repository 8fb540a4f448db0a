package dev.allowdns.logs;

import java.time.Instant;

/**
 * Which records a reader passes on.
 *
 * @param since records older than this are skipped; {@code null}: no lower bound
 * @param sandbox only records of this sandbox id; {@code null}: every sandbox
 */
public record RecordFilter(Instant since, String sandbox) {
  /** Passes every record. */
  public static final RecordFilter ALL = new RecordFilter(null, null);

  /** Returns whether {@code entry} passes. */
  public boolean accepts(LogEntry entry) {
    if (since != null && entry.timestamp().isBefore(since)) {
      return false;
    }
    return sandbox == null || sandbox.equals(entry.sandbox());
  }
}
