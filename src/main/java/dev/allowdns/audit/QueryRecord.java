package dev.allowdns.audit;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import com.google.common.net.InetAddresses;
import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * One DNS query as the query log records it (DESIGN.md, "Records"; the field names are a
 * contract). Values are kept raw and formatted when written, off the resolver's threads.
 *
 * @param timestampMillis when the query arrived (epoch milliseconds), written as ISO-8601 UTC
 * @param client the client's address, written as {@code client_ip}
 * @param type the query type, written by name ({@code AAAA})
 * @param result {@code allowed}, {@code blocked}, {@code refused}, {@code error} or
 *     {@code would_block} (audit mode)
 * @param rcode the response code sent, written by name ({@code NXDOMAIN})
 * @param allowlistRule {@code POLICY:ZONE} of the deciding rule
 * @param answers the answer section as presentation text ({@code CNAME b.test.}, {@code A 192.0.2.1})
 * @param upstream the server that answered ({@code HOST:PORT}), {@code null} when none was asked
 * @param cached whether the answer came without an upstream query of its own
 * @param reason why a query was not answered normally ({@code denied}, {@code not_allowed},
 *     {@code unknown_sandbox}, {@code upstream_failed}, {@code stale}, ...), {@code null} otherwise
 */
public record QueryRecord(
    long timestampMillis,
    String sandbox,
    String taskId,
    String user,
    InetAddress client,
    String name,
    int type,
    String result,
    int rcode,
    String allowlistRule,
    List<String> answers,
    String upstream,
    boolean cached,
    long durationUs,
    String reason,
    long policyGeneration)
    implements JsonLine {

  // Field names encoded once: the writer thread spends its time on values, not on names.
  private static final SerializableString TIMESTAMP = new SerializedString("timestamp");
  private static final SerializableString SANDBOX = new SerializedString("sandbox");
  private static final SerializableString TASK_ID = new SerializedString("task_id");
  private static final SerializableString USER = new SerializedString("user");
  private static final SerializableString CLIENT_IP = new SerializedString("client_ip");
  private static final SerializableString NAME = new SerializedString("name");
  private static final SerializableString TYPE = new SerializedString("type");
  private static final SerializableString RESULT = new SerializedString("result");
  private static final SerializableString RCODE = new SerializedString("rcode");
  private static final SerializableString ALLOWLIST_RULE = new SerializedString("allowlist_rule");
  private static final SerializableString UPSTREAM = new SerializedString("upstream");
  private static final SerializableString CACHED = new SerializedString("cached");
  private static final SerializableString DURATION_US = new SerializedString("duration_us");
  private static final SerializableString REASON = new SerializedString("reason");
  private static final SerializableString POLICY_GENERATION = new SerializedString("policy_generation");
  private static final SerializableString ANSWERS = new SerializedString("answers");

  @Override
  public void writeTo(JsonGenerator json) throws IOException {
    json.writeStartObject();
    json.writeFieldName(TIMESTAMP);
    json.writeString(Timestamps.format(timestampMillis));
    json.writeFieldName(SANDBOX);
    json.writeString(sandbox);
    json.writeFieldName(TASK_ID);
    json.writeString(taskId);
    json.writeFieldName(USER);
    json.writeString(user);
    json.writeFieldName(CLIENT_IP);
    json.writeString(client == null ? null : InetAddresses.toAddrString(client));
    json.writeFieldName(NAME);
    json.writeString(name);
    json.writeFieldName(TYPE);
    json.writeString(Type.string(type));
    json.writeFieldName(RESULT);
    json.writeString(result);
    json.writeFieldName(RCODE);
    json.writeString(Rcode.string(rcode));
    json.writeFieldName(ALLOWLIST_RULE);
    json.writeString(allowlistRule);
    json.writeFieldName(ANSWERS);
    json.writeStartArray();
    for (String answer : answers) {
      json.writeString(answer);
    }
    json.writeEndArray();
    json.writeFieldName(UPSTREAM);
    json.writeString(upstream);
    json.writeFieldName(CACHED);
    json.writeBoolean(cached);
    json.writeFieldName(DURATION_US);
    json.writeNumber(durationUs);
    json.writeFieldName(REASON);
    json.writeString(reason);
    json.writeFieldName(POLICY_GENERATION);
    json.writeNumber(policyGeneration);
    json.writeEndObject();
  }
}
