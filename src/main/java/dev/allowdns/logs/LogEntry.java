package dev.allowdns.logs;

import java.time.Instant;

/** What every record has: when it happened and for which sandbox. */
public sealed interface LogEntry permits QueryEntry, ConnectionEntry {
  Instant timestamp();

  /** Returns the sandbox id, or {@code null} when the record has none. */
  String sandbox();
}
