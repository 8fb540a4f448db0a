package dev.allowdns.audit;

import com.fasterxml.jackson.core.JsonGenerator;
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

  @Override
  public void writeTo(JsonGenerator json) throws IOException {
    json.writeStartObject();
    json.writeStringField("timestamp", Timestamps.format(timestampMillis));
    json.writeStringField("sandbox", sandbox);
    json.writeStringField("task_id", taskId);
    json.writeStringField("user", user);
    json.writeStringField("client_ip", client == null ? null : InetAddresses.toAddrString(client));
    json.writeStringField("name", name);
    json.writeStringField("type", Type.string(type));
    json.writeStringField("result", result);
    json.writeStringField("rcode", Rcode.string(rcode));
    json.writeStringField("allowlist_rule", allowlistRule);
    json.writeArrayFieldStart("answers");
    for (String answer : answers) {
      json.writeString(answer);
    }
    json.writeEndArray();
    json.writeStringField("upstream", upstream);
    json.writeBooleanField("cached", cached);
    json.writeNumberField("duration_us", durationUs);
    json.writeStringField("reason", reason);
    json.writeNumberField("policy_generation", policyGeneration);
    json.writeEndObject();
  }
}
