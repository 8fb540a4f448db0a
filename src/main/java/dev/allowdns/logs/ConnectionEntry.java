package dev.allowdns.logs;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Objects;

/**
 * The fields of one connection record that the summaries read (DESIGN.md, "Records": connection
 * log).
 *
 * @param domain the name the connection is accounted to, {@code null} when there was none
 * @param sni the TLS server name the sandbox sent, or {@code null}
 * @param dstIp the original destination address
 * @param bytesSent payload bytes the sandbox sent
 * @param bytesReceived payload bytes the sandbox got back
 * @param result {@code allowed}, {@code blocked} or {@code would_block}
 * @param taskId the task of the sandbox, or {@code null}
 * @param user the user the sandbox runs for, or {@code null}
 * @param allowlistRule the rule that decided, e.g. {@code default:npm}, or {@code null}
 * @param packets the datagrams of a UDP flow record; {@code null} for TCP
 * @param exe {@code process.exe}: the program that made the connection, when known
 * @param path how it reached allowdns ({@code transparent} or {@code proxy}), when recorded
 * @param count the refusals a limit's summary record stands for; 1 for every other record
 * @param limit the limit of a summary record ({@code open_connections}, ...), else {@code null}
 */
public record ConnectionEntry(
    Instant timestamp,
    String sandbox,
    String domain,
    String sni,
    String dstIp,
    int port,
    String protocol,
    long bytesSent,
    long bytesReceived,
    String result,
    String reason,
    String taskId,
    String user,
    String allowlistRule,

    Long packets,
    String exe,
    String path,
    long count,
    String limit)
    implements LogEntry {
  public ConnectionEntry {
    Objects.requireNonNull(timestamp, "timestamp");
  }

  /** A TCP connection record with only what the summaries of destinations read. */
  public ConnectionEntry(
      Instant timestamp, String sandbox, String domain, String sni, String dstIp, int port,
      String protocol, long bytesSent, long bytesReceived, String result, String reason) {
    this(timestamp, sandbox, domain, sni, dstIp, port, protocol, bytesSent, bytesReceived, result,
        reason, null, null, null, null, null, null);
  }

  /** A record that is not a limit's summary. */
  public ConnectionEntry(
      Instant timestamp, String sandbox, String domain, String sni, String dstIp, int port,
      String protocol, long bytesSent, long bytesReceived, String result, String reason,
      String taskId, String user, String allowlistRule, Long packets, String exe, String path) {
    this(timestamp, sandbox, domain, sni, dstIp, port, protocol, bytesSent, bytesReceived, result,
        reason, taskId, user, allowlistRule, packets, exe, path, 1, null);
  }

  /**
   * Reads a connection record.
   *
   * @throws IllegalArgumentException naming what makes it unreadable (no timestamp)
   */
  public static ConnectionEntry from(JsonNode record) {
    return new ConnectionEntry(
        RecordFields.timestamp(record),
        RecordFields.text(record, "sandbox"),
        RecordFields.text(record, "domain"),
        RecordFields.text(record, "sni"),
        RecordFields.text(record, "dst_ip"),
        (int) RecordFields.number(record, "port"),
        RecordFields.text(record, "protocol"),
        RecordFields.number(record, "bytes_sent"),
        RecordFields.number(record, "bytes_received"),
        RecordFields.text(record, "result"),
        RecordFields.text(record, "reason"),
        RecordFields.text(record, "task_id"),
        RecordFields.text(record, "user"),
        RecordFields.text(record, "allowlist_rule"),

        record.path("packets").isNumber() ? record.path("packets").asLong() : null,
        RecordFields.text(record.path("process"), "exe"),
        RecordFields.text(record, "path"),
        RecordFields.count(record),
        RecordFields.text(record, "limit"));
  }

  /** Returns whether this is a UDP flow's record (the UDP sink writes them). */
  public boolean isUdpFlow() {
    return packets != null;
  }

  /** Returns the domain, or the destination address when no name is known. */
  public String destination() {
    return domain != null ? domain : dstIp;
  }
}
