package dev.allowdns.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.allowdns.logs.RecordReader;
import dev.allowdns.sql.Answer;
import dev.allowdns.sql.RecordTables;
import java.io.IOException;
import java.io.PrintWriter;
import java.sql.SQLException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code allowdns logs sql QUERY}: SQL over the record files. The only command that loads the SQL
 * engine: this class names none of its types, so building the command line loads none of them.
 */
@Command(
    name = "sql",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = {
      "Run SQL over the record files (current and rotated) as the tables connections and queries,"
          + " one column per record field, e.g.:",
      "  allowdns logs sql \"SELECT domain, SUM(bytes_received) AS total FROM connections"
          + " GROUP BY domain ORDER BY total DESC\"",
      "Fields a newer server adds are columns too, and all of them are in other_fields (JSON)."
    })
final class LogsSqlCommand implements Callable<Integer> {
  /** Made on first use: every command builds this one, and most never print JSON. */
  private static final class Json {
    static final ObjectMapper LINES = new ObjectMapper();
    static final ObjectMapper INDENTED = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  }

  @Spec CommandSpec spec;
  @Mixin LogReadOptions logOptions;

  @Parameters(index = "0", paramLabel = "QUERY", description = "One SQL statement (DuckDB's dialect).")
  String query;

  @Option(names = "--csv", description = "Print CSV with a header row (RFC 4180 quoting, one line per row).")
  boolean csv;

  @Option(names = "--json", description = "Print a JSON array of objects, column -> value.")
  boolean json;

  @Override
  public Integer call() throws IOException {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (csv && json) {
      err.println("logs sql: give --csv or --json, not both");
      return ExitCodes.INPUT_ERROR;
    }
    Answer answer;
    try {
      RecordReader reader = logOptions.open(err);
      try (RecordTables tables = RecordTables.load(reader, logOptions.filter(Instant.now()))) {
        answer = tables.query(query);
      }
    } catch (IOException | SQLException e) {
      err.println("logs sql: " + e.getMessage());
      return ExitCodes.INPUT_ERROR;
    }
    if (json) {
      out.println(Json.INDENTED.writeValueAsString(objects(answer)));
    } else if (csv) {
      printCsv(answer, out);
    } else if (!answer.columns().isEmpty()) {
      printTable(answer, out);
    }
    return ExitCodes.OK;
  }

  private static List<Map<String, Object>> objects(Answer answer) {
    return answer.rows().stream()
        .map(
            row -> {
              Map<String, Object> object = new LinkedHashMap<>();
              for (int i = 0; i < row.size(); i++) {
                object.put(answer.columns().get(i), row.get(i));
              }
              return object;
            })
        .toList();
  }

  private static void printTable(Answer answer, PrintWriter out) {
    TextTable table = new TextTable();
    for (int i = 0; i < answer.columns().size(); i++) {
      if (answer.isNumber(i)) {
        table.number(answer.columns().get(i));
      } else {
        table.text(answer.columns().get(i));
      }
    }
    for (List<Object> row : answer.rows()) {
      table.row(row.stream().map(LogsSqlCommand::text).toArray());
    }
    table.print(out);
  }

  private static void printCsv(Answer answer, PrintWriter out) {
    out.print(csvLine(answer.columns()));
    for (List<Object> row : answer.rows()) {
      out.print(csvLine(row));
    }
    out.flush();
  }

  /**
   * Returns one CSV record, fields quoted when they must be (RFC 4180 §2), ended by a newline as
   * Unix tools expect (not the RFC's CRLF).
   */
  static String csvLine(List<?> cells) {
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < cells.size(); i++) {
      if (i > 0) {
        line.append(',');
      }
      String cell = text(cells.get(i));
      boolean quote =
          cell.indexOf(',') >= 0 || cell.indexOf('"') >= 0 || cell.indexOf('\n') >= 0 || cell.indexOf('\r') >= 0;
      line.append(quote ? '"' + cell.replace("\"", "\"\"") + '"' : cell);
    }
    return line.append('\n').toString();
  }

  /** Returns a value as a cell: empty for null, JSON for lists and objects. */
  private static String text(Object value) {
    if (value == null) {
      return "";
    }
    if (value instanceof List<?> || value instanceof Map<?, ?> || value instanceof JsonNode) {
      try {
        return Json.LINES.writeValueAsString(value);
      } catch (IOException e) {
        return value.toString();
      }
    }
    return value.toString();
  }
}
