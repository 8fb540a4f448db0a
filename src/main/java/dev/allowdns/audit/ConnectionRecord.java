package dev.allowdns.audit;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;

/**
 * One relayed (or refused) TCP connection as the connection log records it (DESIGN.md,
 * "Records": the seed fields and their order are a contract; more fields follow them). Written
 * with Jackson's streaming API, in that order, every field present.
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
    long policyGeneration)
    implements JsonLine {

  @Override
  public void writeTo(JsonGenerator json) throws IOException {
    json.writeStartObject();
    json.writeStringField("timestamp", timestamp);
    json.writeStringField("task_id", taskId);
    json.writeStringField("user", user);
    json.writeStringField("direction", direction);
    json.writeStringField("domain", domain);
    json.writeNumberField("port", port);
    json.writeStringField("protocol", protocol);
    json.writeStringField("sni", sni);
    json.writeNumberField("bytes_sent", bytesSent);
    json.writeNumberField("bytes_received", bytesReceived);
    json.writeNumberField("duration_ms", durationMs);
    json.writeStringField("result", result);
    json.writeStringField("allowlist_rule", allowlistRule);
    json.writeStringField("sandbox", sandbox);
    json.writeStringField("client_ip", clientIp);
    json.writeStringField("dst_ip", dstIp);
    json.writeStringField("reason", reason);
    json.writeStringField("host", host);
    json.writeNumberField("policy_generation", policyGeneration);
    json.writeEndObject();
  }
}
