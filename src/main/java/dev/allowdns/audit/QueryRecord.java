package dev.allowdns.audit;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * One DNS query as the query log records it (DESIGN.md, "Records"; the field names are a
 * contract). Fields without a value are written as {@code null}, so every line has every field.
 *
 * @param result {@code allowed}, {@code blocked}, {@code refused} or {@code error}
 * @param rcode the response code sent, e.g. {@code NOERROR}, {@code NXDOMAIN}
 * @param allowlistRule {@code POLICY:ZONE} of the deciding rule
 * @param answers the answer section as presentation text ({@code CNAME b.test.}, {@code A 192.0.2.1})
 * @param upstream the server that answered ({@code HOST:PORT}), {@code null} when none was asked
 * @param cached whether the answer came from the cache
 * @param reason why a query was not answered normally ({@code denied}, {@code not_allowed},
 *     {@code unknown_sandbox}, {@code upstream_failed}, ...), {@code null} otherwise
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonPropertyOrder({
  "timestamp", "sandbox", "task_id", "user", "client_ip", "name", "type", "result", "rcode",
  "allowlist_rule", "answers", "upstream", "cached", "duration_us", "reason", "policy_generation"
})
public record QueryRecord(
    String timestamp,
    String sandbox,
    String taskId,
    String user,
    String clientIp,
    String name,
    String type,
    String result,
    String rcode,
    String allowlistRule,
    List<String> answers,
    String upstream,
    boolean cached,
    long durationUs,
    String reason,
    long policyGeneration) {}
