package dev.allowdns.audit;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * One relayed (or refused) TCP connection as the connection log records it (DESIGN.md,
 * "Records": the seed fields and their order are a contract; more fields follow them).
 *
 * @param timestamp when the connection was accepted (ISO-8601, UTC)
 * @param direction always {@code egress}
 * @param domain the name the connection is accounted to: the allowed SNI/Host, else the name the
 *     ledger gave for the destination; {@code null} when there was none
 * @param protocol {@code https} (a TLS ClientHello was seen), {@code http} or {@code tcp}
 * @param bytesSent payload bytes the sandbox sent (peeked bytes included)
 * @param bytesReceived payload bytes the sandbox got back
 * @param result {@code allowed} or {@code blocked}
 * @param reason why it was refused or ended abnormally; {@code null} for a normal allowed one
 * @param host the HTTP Host header, when one was seen
 * @param policyGeneration the policy generation that decided
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonPropertyOrder({
  "timestamp", "task_id", "user", "direction", "domain", "port", "protocol", "sni", "bytes_sent",
  "bytes_received", "duration_ms", "result", "allowlist_rule", "sandbox", "client_ip", "dst_ip",
  "reason", "host", "policy_generation"
})
public record ConnectionRecord(
    String timestamp,
    String taskId,
    String user,
    String direction,
    String domain,
    int port,
    String protocol,
    String sni,
    long bytesSent,
    long bytesReceived,
    long durationMs,
    String result,
    String allowlistRule,
    String sandbox,
    String clientIp,
    String dstIp,
    String reason,
    String host,
    long policyGeneration) {}
