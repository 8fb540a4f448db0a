package dev.allowdns.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.StringWriter;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/** The record lines as files hold them: DESIGN.md's field names, in its order, every one present. */
class RecordFormatTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private JsonNode writtenLine(Object record) throws Exception {
    RecordLog log = RecordLog.open(dir, "records", "1MB", "10MB", Duration.ofDays(90));
    log.write(record);
    log.close();
    return JSON.readTree(Files.readAllLines(dir.resolve("records.jsonl")).get(0));
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  @Test
  void limitSummary_isTheFirstRecordThenCountAndLimit() throws Exception {
    QueryRecord first =
        new QueryRecord(
            1_776_781_927_000L,
            QueryRecord.Asker.of("vm-7", null, null, InetAddress.getByName("172.16.0.2")).encoded(),
            new QueryRecord.Outcome("x1.example.com", Type.A, "refused", Rcode.REFUSED, null, List.of(), null),
            false,
            3,
            "rate_limited",
            2,
            null);
    JsonNode line = writtenLine(new LimitSummary(first, 812, "dns_qps"));
    List<String> names = fieldNames(line);
    assertEquals(List.of("policy_serial", "count", "limit"), names.subList(names.size() - 3, names.size()));
    assertEquals("2026-04-21T14:32:07.000Z", line.path("timestamp").asText());
    assertEquals("vm-7", line.path("sandbox").asText());
    assertEquals("REFUSED", line.path("rcode").asText());
    assertEquals(812, line.path("count").asLong());
    assertEquals("dns_qps", line.path("limit").asText());
  }

  @Test
  void connectionRecord_seedFieldsFirstInDesignOrder() throws Exception {
    JsonNode line =
        writtenLine(
            new ConnectionRecord(
                "2026-04-21T14:32:07.000Z", "task_abc123", "developer@company.com", "egress",
                "registry.npmjs.org", 443, "https", "registry.npmjs.org", 1024, 458752, 340,
                "allowed", "default:npm", "vm-7", "172.16.0.2", "104.16.1.34", null, null, 3, null,
                "proxy", "10.0.0.3:3128", null, null, null, null));
    assertEquals(
        List.of(
            "timestamp", "task_id", "user", "direction", "domain", "port", "protocol", "sni",
            "bytes_sent", "bytes_received", "duration_ms", "result", "allowlist_rule", "sandbox",
            "client_ip", "dst_ip", "reason"),
        fieldNames(line).subList(0, 17));
    assertEquals(458752, line.path("bytes_received").asLong());
    assertEquals(true, line.path("reason").isNull());
    assertEquals("proxy", line.path("path").asText());
    assertEquals("10.0.0.3:3128", line.path("via").asText());
    assertTrue(line.has("proxy_status") && line.path("proxy_status").isNull());
  }

  @Test
  void queryRecord_hasEveryDesignFieldFormatted() throws Exception {
    JsonNode line =
        writtenLine(
            new QueryRecord(
                1_776_781_927_000L,
                QueryRecord.Asker.of("vm-7", "t1", "u", InetAddress.getByName("fd00:200:0:0:0:0:0:2")),
                new QueryRecord.Outcome("a.test", Type.AAAA, "blocked", Rcode.NXDOMAIN, null, List.of(), null),
                false,
                12,
                "not_allowed",
                2,
                2026120201L));
    assertEquals(
        List.of(
            "timestamp", "sandbox", "task_id", "user", "client_ip", "name", "type", "result",
            "rcode", "allowlist_rule", "answers", "upstream", "cached", "duration_us"),
        fieldNames(line).subList(0, 14));
    assertEquals("2026-04-21T14:32:07.000Z", line.path("timestamp").asText());
    assertEquals("fd00:200::2", line.path("client_ip").asText());
    assertEquals("AAAA", line.path("type").asText());
    assertEquals("NXDOMAIN", line.path("rcode").asText());
    assertEquals(2026120201L, line.path("policy_serial").asLong());
    assertEquals(
        List.of("policy_generation", "policy_serial"),
        fieldNames(line).subList(fieldNames(line).indexOf("policy_generation"), fieldNames(line).size()));
  }

  private static QueryRecord queryRecord(QueryRecord.Asker asker, QueryRecord.Outcome outcome) {
    return new QueryRecord(1_776_781_927_042L, asker, outcome, true, 7, "stale", 3, null);
  }

  private static final QueryRecord.Asker ASKER =
      QueryRecord.Asker.of("vm-7", "task \"quoted\"", null, InetAddress.getLoopbackAddress());
  private static final QueryRecord.Outcome OUTCOME =
      new QueryRecord.Outcome(
          "a.test", Type.A, "allowed", Rcode.NOERROR, "default:npm",
          List.of("CNAME b.test.", "A 192.0.2.1"), "192.0.2.53:53");

  @Test
  void queryRecord_withEncodedFields_writesTheSameLineAsFieldByField() throws Exception {
    String plain = Files.readString(writtenFile(queryRecord(ASKER, OUTCOME)));
    String encoded = Files.readString(writtenFile(queryRecord(ASKER.encoded(), OUTCOME)));
    assertEquals(plain, encoded);
    assertEquals(
        "{\"timestamp\":\"2026-04-21T14:32:07.042Z\",\"sandbox\":\"vm-7\",\"task_id\":\"task \\\"quoted\\\"\","
            + "\"user\":null,\"client_ip\":\"127.0.0.1\",\"name\":\"a.test\",\"type\":\"A\",\"result\":\"allowed\","
            + "\"rcode\":\"NOERROR\",\"allowlist_rule\":\"default:npm\",\"answers\":[\"CNAME b.test.\",\"A 192.0.2.1\"],"
            + "\"upstream\":\"192.0.2.53:53\",\"cached\":true,\"duration_us\":7,\"reason\":\"stale\",\"policy_generation\":3,\"policy_serial\":null}\n",
        plain);
  }

  @Test
  void queryRecord_withEncodedFields_writesTheSameThroughACharacterWriter() throws Exception {
    assertEquals(
        throughWriter(queryRecord(ASKER, OUTCOME)),
        throughWriter(queryRecord(ASKER.encoded(), OUTCOME)));
  }

  @Test
  void encoded_ofEncodedFields_isTheSameObject() {
    QueryRecord.Asker once = ASKER.encoded();
    assertSame(once, once.encoded());
  }

  private Path writtenFile(Object record) throws Exception {
    Path sub = Files.createTempDirectory(dir, "log");
    RecordLog log = RecordLog.open(sub, "records", "1MB", "10MB", Duration.ofDays(90));
    log.write(record);
    log.close();
    return sub.resolve("records.jsonl");
  }

  private static String throughWriter(QueryRecord record) throws Exception {
    StringWriter text = new StringWriter();
    try (JsonGenerator json = new JsonFactory().createGenerator(text)) {
      record.writeTo(json);
    }
    return text.toString();
  }
}
