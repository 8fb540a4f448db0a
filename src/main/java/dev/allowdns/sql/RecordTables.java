package dev.allowdns.sql;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.allowdns.logs.RecordFilter;
import dev.allowdns.logs.RecordReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.duckdb.DuckDBAppender;
import org.duckdb.DuckDBConnection;
import org.duckdb.DuckDBStruct;

/**
 * The records of a log directory as the SQL tables {@code connections} and {@code queries}, in an
 * embedded DuckDB. Every line is read by {@link RecordReader} (damage is reported there and the
 * line skipped), typed by {@link RecordTable} and appended; the database lives in a temporary
 * directory on disk (columnar, compressed: logs larger than memory still load), removed by {@link
 * #close()}. Not thread-safe.
 *
 * <p>The tables proper are {@code records.connections} and {@code records.queries}; the names a
 * query uses are views over them that add one column per field a newer writer added ({@link
 * ExtraColumns}).
 */
public final class RecordTables implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SCHEMA = "records";

  private final Path workDir;
  private final DuckDBConnection connection;

  private RecordTables(Path workDir, DuckDBConnection connection) {
    this.workDir = workDir;
    this.connection = connection;
  }

  /**
   * Loads every record of {@code reader}'s directory that {@code filter} accepts.
   *
   * @throws IOException when a log file cannot be listed or the work directory made
   * @throws SQLException when the engine fails (not for damaged lines: those are reported and
   *     skipped)
   */
  public static RecordTables load(RecordReader reader, RecordFilter filter) throws IOException, SQLException {
    Path workDir = Files.createTempDirectory("allowdns-sql-");
    DuckDBConnection connection = null;
    try {
      connection =
          (DuckDBConnection) DriverManager.getConnection("jdbc:duckdb:" + workDir.resolve("allowdns.duckdb"));
      RecordTables tables = new RecordTables(workDir, connection);
      tables.setUp();
      for (RecordTable table : RecordTable.values()) {
        tables.fill(table, reader, filter);
      }
      return tables;
    } catch (IOException | SQLException | RuntimeException e) {
      if (connection != null) {
        connection.close();
      }
      deleteTree(workDir);
      throw e;
    }
  }

  private void setUp() throws SQLException {
    try (Statement statement = connection.createStatement()) {
      // Never download code: a query naming an extension that is not built in fails instead.
      statement.execute("SET autoinstall_known_extensions = false");
      statement.execute("SET TimeZone = 'UTC'");
      statement.execute("SET temp_directory = " + Sql.literal(workDir.resolve("spill").toString()));
      statement.execute("CREATE SCHEMA " + SCHEMA);
    }
  }

  private void fill(RecordTable table, RecordReader reader, RecordFilter filter) throws IOException, SQLException {
    String name = table.tableName();
    try (Statement statement = connection.createStatement()) {
      statement.execute(
          "CREATE TABLE " + SCHEMA + "." + name + " (" + table.columnDefinitions() + ")");
    }
    ExtraColumns extra = new ExtraColumns(table.columns().keySet());
    int sandboxColumn = new ArrayList<>(table.columns().keySet()).indexOf("sandbox");
    try (DuckDBAppender appender = connection.createAppender(SCHEMA, name)) {
      reader.forEachRecord(
          table.kind(),
          filter.since(),
          record -> table.row(record, extra),
          row -> {
            OffsetDateTime at = (OffsetDateTime) row[0];
            boolean accepted =
                (filter.since() == null || !at.toInstant().isBefore(filter.since()))
                    && (filter.sandbox() == null || filter.sandbox().equals(row[sandboxColumn]));
            if (accepted) {
              append(appender, row);
            }
          });
    } catch (AppendFailed e) {
      throw e.getCause();
    }
    try (Statement statement = connection.createStatement()) {
      statement.execute(
          "CREATE VIEW " + name + " AS SELECT *" + extra.selectItems() + " FROM " + SCHEMA + "." + name);
    }
  }

  /** An appender's {@link SQLException}, carried out of the reader's callback. */
  private static final class AppendFailed extends RuntimeException {
    AppendFailed(SQLException cause) {
      super(cause);
    }

    @Override
    public synchronized SQLException getCause() {
      return (SQLException) super.getCause();
    }
  }

  private static void append(DuckDBAppender appender, Object[] row) {
    try {
      appender.beginRow();
      for (Object value : row) {
        if (value == null) {
          appender.appendNull();
        } else if (value instanceof String text) {
          appender.append(text);
        } else if (value instanceof Long number) {
          appender.append(number.longValue());
        } else if (value instanceof Integer number) {
          appender.append(number.intValue());
        } else if (value instanceof Boolean flag) {
          appender.append(flag.booleanValue());
        } else if (value instanceof OffsetDateTime at) {
          appender.append(at);
        } else if (value instanceof List<?> list) {
          appender.append(list);
        } else {
          throw new IllegalStateException("no column type holds " + value.getClass().getName());
        }
      }
      appender.endRow();
    } catch (SQLException e) {
      throw new AppendFailed(e);
    }
  }

  /**
   * Runs one SQL statement; a statement that returns no rows (e.g. {@code CREATE TABLE}) answers
   * no columns.
   *
   * @throws SQLException with DuckDB's message when the statement is not valid or fails
   */
  public Answer query(String sql) throws SQLException {
    try (Statement statement = connection.createStatement()) {
      if (!statement.execute(sql)) {
        return new Answer(List.of(), List.of(), List.of());
      }
      try (ResultSet results = statement.getResultSet()) {
        ResultSetMetaData meta = results.getMetaData();
        List<String> columns = new ArrayList<>();
        List<String> types = new ArrayList<>();
        for (int i = 1; i <= meta.getColumnCount(); i++) {
          columns.add(meta.getColumnLabel(i));
          types.add(meta.getColumnTypeName(i));
        }
        List<List<Object>> rows = new ArrayList<>();
        while (results.next()) {
          List<Object> row = new ArrayList<>(columns.size());
          for (int i = 1; i <= columns.size(); i++) {
            row.add(plain(results.getObject(i), types.get(i - 1)));
          }
          rows.add(row);
        }
        return new Answer(columns, types, rows);
      }
    }
  }

  /** Returns a value of the engine as the plain Java value {@link Answer} promises. */
  private static Object plain(Object value, String type) throws SQLException {
    if (value == null || value instanceof Number || value instanceof Boolean) {
      return value;
    }
    if (value instanceof OffsetDateTime at) {
      return at.toInstant().toString();
    }
    if (value instanceof Array array) {
      Object[] items = (Object[]) array.getArray();
      List<Object> list = new ArrayList<>(items.length);
      for (Object item : items) {
        list.add(plain(item, ""));
      }
      return list;
    }
    if (value instanceof DuckDBStruct struct) {
      Map<String, Object> fields = new LinkedHashMap<>();
      for (Map.Entry<String, Object> field : struct.getMap().entrySet()) {
        fields.put(field.getKey(), plain(field.getValue(), ""));
      }
      return fields;
    }
    if ("JSON".equals(type)) {
      try {
        return JSON.readTree(value.toString());
      } catch (JsonProcessingException e) {
        return value.toString();
      }
    }
    return value.toString();
  }

  /** Closes the engine and removes its files. */
  @Override
  public void close() throws SQLException {
    try {
      connection.close();
    } finally {
      deleteTree(workDir);
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      // Left in the temporary directory: nothing the answer depends on.
    }
  }
}
