package dev.allowdns.sql;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The fields of one table's records that are not among its known columns (fields added by a later
 * version, e.g. {@code via} or {@code packets}), with the narrowest type that holds every value
 * seen: each becomes a column of the table's view, taken from {@code other_fields}, so a query
 * can name it as it names a known field. Not thread-safe.
 */
final class ExtraColumns {
  /** Only plain names become columns; any other stays reachable in {@code other_fields}. */
  private static final Pattern PLAIN_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
  /** More distinct extra fields than this is not a newer record format but noise. */
  private static final int MAX_COLUMNS = 64;

  /** From narrowest to widest; a field's kind only widens. */
  private enum Kind {
    NONE(null),
    BOOLEAN("BOOLEAN"),
    BIGINT("BIGINT"),
    DOUBLE("DOUBLE"),
    TEXT("VARCHAR"),
    JSON("JSON");

    final String sql;

    Kind(String sql) {
      this.sql = sql;
    }

    static Kind of(JsonNode value) {
      if (value.isNull()) {
        return NONE;
      }
      if (value.isBoolean()) {
        return BOOLEAN;
      }
      if (value.isIntegralNumber() && value.canConvertToLong()) {
        return BIGINT;
      }
      if (value.isNumber()) {
        return DOUBLE;
      }
      return value.isValueNode() ? TEXT : JSON;
    }

    Kind widen(Kind other) {
      if (this == NONE || this == other) {
        return other;
      }
      if (other == NONE) {
        return this;
      }
      if ((this == BIGINT && other == DOUBLE) || (this == DOUBLE && other == BIGINT)) {
        return DOUBLE;
      }
      return this == JSON || other == JSON ? JSON : TEXT;
    }
  }

  private final Set<String> known;
  private final Map<String, Kind> seen = new LinkedHashMap<>();

  /** @param known the table's own column names, which an extra field never shadows */
  ExtraColumns(Set<String> known) {
    this.known = known;
  }

  /** Learns one extra field's value. */
  void saw(String field, JsonNode value) {
    if (!PLAIN_NAME.matcher(field).matches()
        || known.contains(field)
        || field.equals(RecordTable.OTHER_FIELDS)) {
      return;
    }
    Kind before = seen.get(field);
    if (before == null && seen.size() >= MAX_COLUMNS) {
      return;
    }
    seen.put(field, (before == null ? Kind.NONE : before).widen(Kind.of(value)));
  }

  /**
   * Returns the view's extra select items, e.g. {@code , TRY_CAST(other_fields->>'$."packets"' AS
   * BIGINT) AS "packets"}; empty when there are none.
   */
  String selectItems() {
    StringBuilder sql = new StringBuilder();
    seen.forEach(
        (field, kind) -> {
          String path = Sql.literal("$." + Sql.quote(field));
          String value =
              switch (kind) {
                case JSON -> RecordTable.OTHER_FIELDS + "->" + path;
                case TEXT -> RecordTable.OTHER_FIELDS + "->>" + path;
                case NONE -> "CAST(NULL AS VARCHAR)";
                default -> "TRY_CAST(" + RecordTable.OTHER_FIELDS + "->>" + path + " AS " + kind.sql + ")";
              };
          sql.append(", ").append(value).append(" AS ").append(Sql.quote(field));
        });
    return sql.toString();
  }
}
