package dev.allowdns.logs;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/** Reads the fields of one JSON record the tolerant way: a missing field is {@code null}. */
final class RecordFields {
  private RecordFields() {}

  /** Returns the field as text, or {@code null} when it is missing, null or not a scalar. */
  static String text(JsonNode record, String field) {
    JsonNode value = record.get(field);
    return value == null || !value.isValueNode() || value.isNull() ? null : value.asText();
  }

  /** Returns the field as a whole number, or 0 when it is missing or not a number. */
  /** Returns a record's {@code count}: the refusals a limit's summary stands for, 1 without it. */
  static long count(JsonNode record) {
    JsonNode count = record.get("count");
    return count != null && count.isIntegralNumber() && count.asLong() > 0 ? count.asLong() : 1;
  }

  static long number(JsonNode record, String field) {
    JsonNode value = record.get(field);
    return value != null && value.canConvertToLong() ? value.asLong() : 0;
  }

  /**
   * Returns the record's {@code timestamp}.
   *
   * @throws IllegalArgumentException when it is missing or not an ISO-8601 instant
   */
  static Instant timestamp(JsonNode record) {
    String text = text(record, "timestamp");
    if (text == null) {
      throw new IllegalArgumentException("record has no timestamp");
    }
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      try {
        return OffsetDateTime.parse(text).toInstant(); // an offset other than Z
      } catch (DateTimeParseException e2) {
        throw new IllegalArgumentException("timestamp '" + text + "' is not an ISO-8601 instant");
      }
    }
  }
}
