package dev.allowdns.sql;

import java.util.List;
import java.util.Set;

/**
 * The result of one SQL statement, its values plain Java: {@code null}, {@link String}, {@link
 * Boolean}, a {@link Number} ({@code Long}, {@code Double}, {@code BigInteger} for sums, ...), a
 * {@link List} for a list, a Jackson {@code JsonNode} for a JSON value, and a time as its
 * ISO-8601 text ({@code 2026-04-21T14:32:07Z}). Immutable.
 *
 * @param columns the column names, in order
 * @param types the columns' DuckDB types, e.g. {@code BIGINT}, {@code VARCHAR[]}
 * @param rows one list of values per row, in the columns' order
 */
public record Answer(List<String> columns, List<String> types, List<List<Object>> rows) {
  private static final Set<String> NUMBER_TYPES =
      Set.of(
          "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
          "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE", "REAL");

  public Answer {
    columns = List.copyOf(columns);
    types = List.copyOf(types);
    rows = List.copyOf(rows);
  }

  /** Returns whether column {@code index} (from 0) holds numbers, which tables align right. */
  public boolean isNumber(int index) {
    String type = types.get(index);
    return NUMBER_TYPES.contains(type) || type.startsWith("DECIMAL");
  }
}
