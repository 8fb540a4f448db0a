package dev.allowdns.sql;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/** The SQL types of record fields, each with the conversion of a JSON value into it. */
enum ColumnType {
  TIMESTAMP("TIMESTAMPTZ"),
  TEXT("VARCHAR"),
  INTEGER("INTEGER"),
  BIGINT("BIGINT"),
  BOOLEAN("BOOLEAN"),
  TEXT_LIST("VARCHAR[]"),
  JSON("JSON");

  private final String sql;

  ColumnType(String sql) {
    this.sql = sql;
  }

  /** Returns the type as DuckDB names it. */
  String sql() {
    return sql;
  }

  /**
   * Returns {@code value} as the Java value the appender takes for this type ({@code null} for a
   * JSON null).
   *
   * @throws IllegalArgumentException saying what was expected and what the value is
   */
  Object convert(JsonNode value) {
    if (value.isNull()) {
      return null;
    }
    return switch (this) {
      case TIMESTAMP -> timestamp(value);
      case TEXT -> {
        require(value.isValueNode(), "text", value);
        yield value.asText();
      }
      case INTEGER -> {
        require(value.canConvertToInt() && value.isIntegralNumber(), "a whole number", value);
        yield value.intValue();
      }
      case BIGINT -> {
        require(value.canConvertToLong() && value.isIntegralNumber(), "a whole number", value);
        yield value.longValue();
      }
      case BOOLEAN -> {
        require(value.isBoolean(), "true or false", value);
        yield value.booleanValue();
      }
      case TEXT_LIST -> {
        require(value.isArray(), "a list of text", value);
        List<String> items = new ArrayList<>(value.size());
        for (JsonNode item : value) {
          require(item.isValueNode(), "a list of text", value);
          items.add(item.isNull() ? null : item.asText());
        }
        yield items;
      }
      case JSON -> value.toString();
    };
  }

  private static OffsetDateTime timestamp(JsonNode value) {
    require(value.isTextual(), "an ISO-8601 time", value);
    try {
      return Instant.parse(value.asText()).atOffset(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      try {
        return OffsetDateTime.parse(value.asText()); // an offset other than Z
      } catch (DateTimeParseException e2) {
        throw new IllegalArgumentException("expected an ISO-8601 time, got " + value);
      }
    }
  }

  private static void require(boolean holds, String expected, JsonNode value) {
    if (!holds) {
      String shown = value.toString();
      throw new IllegalArgumentException(
          "expected " + expected + ", got " + (shown.length() > 40 ? shown.substring(0, 40) + "..." : shown));
    }
  }
}
