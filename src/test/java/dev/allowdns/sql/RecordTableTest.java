package dev.allowdns.sql;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.allowdns.testing.AuditLines;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RecordTableTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant T = Instant.parse("2026-04-21T14:32:07Z");

  @Test
  void row_ofAConnectionTheServerWrote_typesEveryKnownField() throws Exception {
    JsonNode record =
        JSON.readTree(
            AuditLines.connection(
                T, "vm-7", "task_abc123", "dev@example.com", "default:npm", "registry.npmjs.org",
                "104.16.1.34", 1024, 458752, "allowed", null));
    ExtraColumns extra = new ExtraColumns(RecordTable.CONNECTIONS.columns().keySet());

    Object[] row = RecordTable.CONNECTIONS.row(record, extra);

    assertArrayEquals(
        new Object[] {
          OffsetDateTime.parse("2026-04-21T14:32:07Z"), "task_abc123", "dev@example.com", "egress",
          "registry.npmjs.org", 443, "https", "registry.npmjs.org", 1024L, 458752L, 25L, "allowed",
          "default:npm", "vm-7", "172.16.0.2", "104.16.1.34", null, null, 3L, null, "transparent", null, null, null, null, null, 1L,
          null, null
        },
        row);
    assertEquals("", extra.selectItems(), "the server's own fields are all known columns");
  }

  @Test
  void row_ofAQuery_keepsTheAnswersAsAListAndCachedAsABoolean() throws Exception {
    JsonNode record =
        JSON.readTree(AuditLines.query(T, "vm-7", "a.test", "allowed", null, List.of("A 192.0.2.1", "A 192.0.2.2")));

    Object[] row = RecordTable.QUERIES.row(record, new ExtraColumns(RecordTable.QUERIES.columns().keySet()));

    List<String> columns = List.copyOf(RecordTable.QUERIES.columns().keySet());
    assertEquals(List.of("A 192.0.2.1", "A 192.0.2.2"), row[columns.indexOf("answers")]);
    assertEquals(false, row[columns.indexOf("cached")]);
    assertEquals(120L, row[columns.indexOf("duration_us")]);
    assertEquals("NOERROR", row[columns.indexOf("rcode")]);
  }

  @Test
  void row_unknownFields_goToOtherFieldsAsOneJsonObject() throws Exception {
    JsonNode record =
        JSON.readTree("{\"timestamp\":\"2026-04-21T14:32:07Z\",\"unknown_field\":3,\"future\":{\"pid\":7}}");

    Object[] row = RecordTable.CONNECTIONS.row(record, new ExtraColumns(RecordTable.CONNECTIONS.columns().keySet()));

    assertEquals("{\"unknown_field\":3,\"future\":{\"pid\":7}}", row[row.length - 1]);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"port\":443} | record has no timestamp",
        "{\"timestamp\":\"yesterday\"} | field 'timestamp': expected an ISO-8601 time, got \"yesterday\"",
        "{\"timestamp\":\"2026-04-21T14:32:07Z\",\"bytes_received\":\"lots\"} | field 'bytes_received': expected a whole number, got \"lots\"",
        "{\"timestamp\":\"2026-04-21T14:32:07Z\",\"port\":1.5} | field 'port': expected a whole number, got 1.5",
        "{\"timestamp\":\"2026-04-21T14:32:07Z\",\"domain\":{\"a\":1}} | field 'domain': expected text, got {\"a\":1}"
      })
  void row_valueAColumnCannotHold_isRejectedNamingTheField(String line, String message) throws Exception {
    JsonNode record = JSON.readTree(line);
    ExtraColumns extra = new ExtraColumns(RecordTable.CONNECTIONS.columns().keySet());

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> RecordTable.CONNECTIONS.row(record, extra));

    assertEquals(message, e.getMessage());
  }

  @Test
  void row_timestampWithAnOffset_isTheSameInstant() throws Exception {
    JsonNode record = JSON.readTree("{\"timestamp\":\"2026-04-21T16:32:07+02:00\"}");

    Object[] row = RecordTable.CONNECTIONS.row(record, new ExtraColumns(RecordTable.CONNECTIONS.columns().keySet()));

    assertEquals(T, ((OffsetDateTime) row[0]).toInstant());
  }
}
