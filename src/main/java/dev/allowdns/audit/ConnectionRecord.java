package dev.allowdns.audit;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
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
 * @param policySerial the SOA serial of the transferred policy that decided, {@code null} when the
 *     policy came from a zones directory
 * @param path {@code transparent} (redirected by iptables) or {@code proxy} (the explicit proxy)
 * @param via the parent proxy's {@code HOST:PORT} the connection went through, {@code null} for
 *     direct
 * @param proxyStatus the parent's status code when it refused, {@code null} otherwise (also when
 *     it was not reached)
 * @param packets datagrams since the flow's previous record, for a UDP flow; {@code null} for TCP
 * @param process the process that owned the sandbox-side socket ({@code process} object), or
 *     {@code null} when not known: a microVM, identity off, or not found within its budget
 * @param detail why a name sent could not be checked, for a refusal by {@code sni_not_allowed} or
 *     {@code host_not_allowed} that named no disallowed name (two names that differ, a ClientHello
 *     or request head past the peek's bound or its timeout); {@code null} otherwise
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
    long policyGeneration,
    Long policySerial,
    String path,
    String via,
    Integer proxyStatus,
    Long packets,
    JsonLine process,
    String detail)
    implements JsonFields {
  public static final String TRANSPARENT = "transparent";
  public static final String PROXY = "proxy";

  /** Returns this record with {@code process} as its process. */
  public ConnectionRecord withProcess(JsonLine owner) {
    return new ConnectionRecord(timestamp, taskId, user, direction, domain, port, protocol, sni,
        bytesSent, bytesReceived, durationMs, result, allowlistRule, sandbox, clientIp, dstIp,
        reason, host, policyGeneration, policySerial, path, via, proxyStatus, packets, owner, detail);
  }

  /** Returns this record with {@code why} as its reason. */
  public ConnectionRecord withReason(String why) {
    return new ConnectionRecord(timestamp, taskId, user, direction, domain, port, protocol, sni,
        bytesSent, bytesReceived, durationMs, result, allowlistRule, sandbox, clientIp, dstIp,
        why, host, policyGeneration, policySerial, path, via, proxyStatus, packets, process, detail);
  }

  // Field names encoded once: the writer thread spends its time on values, not on names.
  private static final SerializableString TIMESTAMP = new SerializedString("timestamp");
  private static final SerializableString TASK_ID = new SerializedString("task_id");
  private static final SerializableString USER = new SerializedString("user");
  private static final SerializableString DIRECTION = new SerializedString("direction");
  private static final SerializableString DOMAIN = new SerializedString("domain");
  private static final SerializableString PORT = new SerializedString("port");
  private static final SerializableString PROTOCOL = new SerializedString("protocol");
  private static final SerializableString SNI = new SerializedString("sni");
  private static final SerializableString BYTES_SENT = new SerializedString("bytes_sent");
  private static final SerializableString BYTES_RECEIVED = new SerializedString("bytes_received");
  private static final SerializableString DURATION_MS = new SerializedString("duration_ms");
  private static final SerializableString RESULT = new SerializedString("result");
  private static final SerializableString ALLOWLIST_RULE = new SerializedString("allowlist_rule");
  private static final SerializableString SANDBOX = new SerializedString("sandbox");
  private static final SerializableString CLIENT_IP = new SerializedString("client_ip");
  private static final SerializableString DST_IP = new SerializedString("dst_ip");
  private static final SerializableString REASON = new SerializedString("reason");
  private static final SerializableString HOST = new SerializedString("host");
  private static final SerializableString POLICY_GENERATION = new SerializedString("policy_generation");
  private static final SerializableString POLICY_SERIAL = new SerializedString("policy_serial");
  private static final SerializableString PATH = new SerializedString("path");
  private static final SerializableString VIA = new SerializedString("via");
  private static final SerializableString PROXY_STATUS = new SerializedString("proxy_status");
  private static final SerializableString PACKETS = new SerializedString("packets");
  private static final SerializableString PROCESS = new SerializedString("process");
  private static final SerializableString DETAIL = new SerializedString("detail");

  @Override
  public void writeTo(JsonGenerator json) throws IOException {
    json.writeStartObject();
    writeFields(json);
    json.writeEndObject();
  }

  @Override
  public void writeFields(JsonGenerator json) throws IOException {
    json.writeFieldName(TIMESTAMP);
    json.writeString(timestamp);
    json.writeFieldName(TASK_ID);
    json.writeString(taskId);
    json.writeFieldName(USER);
    json.writeString(user);
    json.writeFieldName(DIRECTION);
    json.writeString(direction);
    json.writeFieldName(DOMAIN);
    json.writeString(domain);
    json.writeFieldName(PORT);
    json.writeNumber(port);
    json.writeFieldName(PROTOCOL);
    json.writeString(protocol);
    json.writeFieldName(SNI);
    json.writeString(sni);
    json.writeFieldName(BYTES_SENT);
    json.writeNumber(bytesSent);
    json.writeFieldName(BYTES_RECEIVED);
    json.writeNumber(bytesReceived);
    json.writeFieldName(DURATION_MS);
    json.writeNumber(durationMs);
    json.writeFieldName(RESULT);
    json.writeString(result);
    json.writeFieldName(ALLOWLIST_RULE);
    json.writeString(allowlistRule);
    json.writeFieldName(SANDBOX);
    json.writeString(sandbox);
    json.writeFieldName(CLIENT_IP);
    json.writeString(clientIp);
    json.writeFieldName(DST_IP);
    json.writeString(dstIp);
    json.writeFieldName(REASON);
    json.writeString(reason);
    json.writeFieldName(HOST);
    json.writeString(host);
    json.writeFieldName(POLICY_GENERATION);
    json.writeNumber(policyGeneration);
    json.writeFieldName(POLICY_SERIAL);
    if (policySerial == null) {
      json.writeNull();
    } else {
      json.writeNumber(policySerial.longValue());
    }
    json.writeFieldName(PATH);
    json.writeString(path);
    json.writeFieldName(VIA);
    json.writeString(via);
    json.writeFieldName(PROXY_STATUS);
    if (proxyStatus == null) {
      json.writeNull();
    } else {
      json.writeNumber(proxyStatus);
    }
    json.writeFieldName(PACKETS);
    if (packets == null) {
      json.writeNull();
    } else {
      json.writeNumber(packets);
    }
    json.writeFieldName(PROCESS);
    if (process == null) {
      json.writeNull();
    } else {
      process.writeTo(json);
    }
    json.writeFieldName(DETAIL);
    json.writeString(detail);
  }
}
