package dev.allowdns.sql;

import static dev.allowdns.sql.ColumnType.BIGINT;
import static dev.allowdns.sql.ColumnType.BOOLEAN;
import static dev.allowdns.sql.ColumnType.INTEGER;
import static dev.allowdns.sql.ColumnType.JSON;
import static dev.allowdns.sql.ColumnType.TEXT;
import static dev.allowdns.sql.ColumnType.TEXT_LIST;
import static dev.allowdns.sql.ColumnType.TIMESTAMP;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.allowdns.logs.RecordKind;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The two tables and their typed columns: every field DESIGN.md ("Records") and the writers ({@code
 * audit.ConnectionRecord}, {@code audit.QueryRecord}) define, in their order. A field of a record
 * that is none of these is kept in the column {@code other_fields} (a JSON object) and, when its
 * name is a plain identifier, shown as a column of its own ({@link ExtraColumns}).
 */
enum RecordTable {
  CONNECTIONS(
      RecordKind.CONNECTIONS,
      columns(
          "timestamp", TIMESTAMP,
          "task_id", TEXT,
          "user", TEXT,
          "direction", TEXT,
          "domain", TEXT,
          "port", INTEGER,
          "protocol", TEXT,
          "sni", TEXT,
          "bytes_sent", BIGINT,
          "bytes_received", BIGINT,
          "duration_ms", BIGINT,
          "result", TEXT,
          "allowlist_rule", TEXT,
          "sandbox", TEXT,
          "client_ip", TEXT,
          "dst_ip", TEXT,
          "reason", TEXT,
          "host", TEXT,
          "policy_generation", BIGINT,
          "policy_serial", BIGINT,
          "path", TEXT,
          "via", TEXT,
          "proxy_status", INTEGER,
          "packets", BIGINT,
          "process", JSON,
          "detail", TEXT,
          "count", BIGINT,
          "limit", TEXT)),
  QUERIES(
      RecordKind.QUERIES,
      columns(
          "timestamp", TIMESTAMP,
          "sandbox", TEXT,
          "task_id", TEXT,
          "user", TEXT,
          "client_ip", TEXT,
          "name", TEXT,
          "type", TEXT,
          "result", TEXT,
          "rcode", TEXT,
          "allowlist_rule", TEXT,
          "answers", TEXT_LIST,
          "upstream", TEXT,
          "cached", BOOLEAN,
          "duration_us", BIGINT,
          "reason", TEXT,
          "policy_generation", BIGINT,
          "policy_serial", BIGINT,
          "count", BIGINT,
          "limit", TEXT));

  /**
   * The refusals a record stands for: a limit's summary says {@code count}; every other record is
   * one, so {@code SUM(count)} counts refusals whichever record holds them.
   */
  static final String COUNT = "count";

  /** The column of the fields that are not among the known ones. */
  static final String OTHER_FIELDS = "other_fields";

  private final RecordKind kind;
  private final Map<String, ColumnType> columns;

  RecordTable(RecordKind kind, Map<String, ColumnType> columns) {
    this.kind = kind;
    this.columns = columns;
  }

  private static Map<String, ColumnType> columns(Object... nameThenType) {
    Map<String, ColumnType> columns = new LinkedHashMap<>();
    for (int i = 0; i < nameThenType.length; i += 2) {
      columns.put((String) nameThenType[i], (ColumnType) nameThenType[i + 1]);
    }
    return Collections.unmodifiableMap(columns);
  }

  /** Returns the SQL name of the table: {@code connections} or {@code queries}. */
  String tableName() {
    return kind.baseName();
  }

  RecordKind kind() {
    return kind;
  }

  /** Returns the known columns and their types, in record order. */
  Map<String, ColumnType> columns() {
    return columns;
  }

  /** Returns the {@code CREATE TABLE} body: the known columns, then {@code other_fields}. */
  String columnDefinitions() {
    StringBuilder sql = new StringBuilder();
    columns.forEach((name, type) -> sql.append(Sql.quote(name)).append(' ').append(type.sql()).append(", "));
    return sql.append(OTHER_FIELDS).append(" JSON").toString();
  }

  /**
   * Returns the row of one record: the known columns' values, then the other fields as a JSON
   * object (or {@code null} when there are none), which {@code extra} also learns.
   *
   * @throws IllegalArgumentException naming the field whose value the column cannot hold, or the
   *     missing timestamp
   */
  Object[] row(JsonNode record, ExtraColumns extra) {
    Object[] row = new Object[columns.size() + 1];
    int i = 0;
    for (Map.Entry<String, ColumnType> column : columns.entrySet()) {
      JsonNode value = record.get(column.getKey());
      try {
        row[i++] =
            value == null
                ? column.getKey().equals(COUNT) ? Long.valueOf(1) : null
                : column.getValue().convert(value);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("field '" + column.getKey() + "': " + e.getMessage());
      }
    }
    if (row[0] == null) {
      throw new IllegalArgumentException("record has no timestamp");
    }
    ObjectNode other = null;
    for (Iterator<Map.Entry<String, JsonNode>> fields = record.fields(); fields.hasNext(); ) {
      Map.Entry<String, JsonNode> field = fields.next();
      if (!columns.containsKey(field.getKey())) {
        if (other == null) {
          other = JsonNodeFactory.instance.objectNode();
        }
        other.set(field.getKey(), field.getValue());
        extra.saw(field.getKey(), field.getValue());
      }
    }
    row[i] = other == null ? null : other.toString();
    return row;
  }
}
