package dev.allowdns.logs;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Objects;

/**
 * The fields of one query record that the summaries read (DESIGN.md, "Records": query log).
 *
 * @param sandbox the sandbox id, {@code null} when the record has none
 * @param name the queried name as recorded
 * @param result {@code allowed}, {@code blocked}, {@code refused}, {@code error} or {@code
 *     would_block}
 * @param reason why it was not answered normally, or {@code null}
 * @param count the refusals a limit's summary record stands for; 1 for every other record
 * @param limit the limit of a summary record ({@code dns_qps}), else {@code null}
 */
public record QueryEntry(
    Instant timestamp,
    String sandbox,
    String name,
    String type,
    String result,
    String rcode,
    String reason,
    long count,
    String limit)
    implements LogEntry {
  public QueryEntry {
    Objects.requireNonNull(timestamp, "timestamp");
  }

  /** A record that is not a limit's summary. */
  public QueryEntry(
      Instant timestamp, String sandbox, String name, String type, String result, String rcode, String reason) {
    this(timestamp, sandbox, name, type, result, rcode, reason, 1, null);
  }

  /**
   * Reads a query record.
   *
   * @throws IllegalArgumentException naming what makes it unreadable (no timestamp)
   */
  public static QueryEntry from(JsonNode record) {
    return new QueryEntry(
        RecordFields.timestamp(record),
        RecordFields.text(record, "sandbox"),
        RecordFields.text(record, "name"),
        RecordFields.text(record, "type"),
        RecordFields.text(record, "result"),
        RecordFields.text(record, "rcode"),
        RecordFields.text(record, "reason"),
        RecordFields.count(record),
        RecordFields.text(record, "limit"));
  }

  /** Returns whether a JSON record is a query record (it has a {@code name}, no {@code dst_ip}). */
  public static boolean isQuery(JsonNode record) {
    return record.has("name") && !record.has("dst_ip");
  }
}
