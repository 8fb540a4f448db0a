package dev.allowdns.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Checks deploy/vector against the record fields, since no Debian package of Vector (or Fluent
 * Bit) lets CI run the agent: each log is followed, each transform types every numeric, boolean,
 * list and time field the tables of {@code logs sql} type, and the ClickHouse table has a column
 * per field with a matching type.
 */
class DeployVectorConfigTest {
  private static final Path DIR = Path.of(System.getProperty("basedir", ".")).resolve("deploy/vector");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static final Map<ColumnType, String> VRL =
      Map.of(
          ColumnType.TIMESTAMP, "parse_timestamp!(",
          ColumnType.INTEGER, "to_int(",
          ColumnType.BIGINT, "to_int(",
          ColumnType.BOOLEAN, "to_bool(",
          ColumnType.TEXT_LIST, "array(",
          ColumnType.JSON, "encode_json(");
  private static final Map<ColumnType, String> CLICKHOUSE =
      Map.of(
          ColumnType.TIMESTAMP, "DateTime64",
          ColumnType.INTEGER, "Int32",
          ColumnType.BIGINT, "Int64",
          ColumnType.BOOLEAN, "Bool",
          ColumnType.TEXT_LIST, "Array(String)",
          ColumnType.TEXT, "String",
          ColumnType.JSON, "String");

  @ParameterizedTest
  @EnumSource(RecordTable.class)
  void vectorConfig_followsTheLogAndTypesEveryTypedField(RecordTable table) throws Exception {
    JsonNode config = YAML.readTree(DIR.resolve("vector.yaml").toFile());
    String name = table.tableName();
    JsonNode source = config.path("sources").path("allowdns_" + name + "_lines");
    assertEquals("file", source.path("type").asText(), name + " source");
    assertEquals("/var/log/allowdns/" + table.kind().currentFileName(), source.path("include").path(0).asText());
    String vrl = config.path("transforms").path("allowdns_" + name).path("source").asText();
    table.columns().forEach(
        (column, type) -> {
          String conversion = VRL.get(type);
          if (conversion != null) {
            assertTrue(vrl.contains("." + column + " = " + conversion), name + "." + column + " typed with " + conversion + " in:\n" + vrl);
          }
        });
    JsonNode sink = config.path("sinks").path("clickhouse_" + name);
    assertEquals(List.of("allowdns_" + name), YAML.convertValue(sink.path("inputs"), List.class));
    assertEquals(name, sink.path("table").asText());
  }

  @ParameterizedTest
  @EnumSource(RecordTable.class)
  void clickhouseTable_hasAColumnOfTheRightTypePerField(RecordTable table) throws Exception {
    String sql = Files.readString(DIR.resolve("clickhouse.sql"));
    Matcher body =
        Pattern.compile("CREATE TABLE IF NOT EXISTS allowdns\\." + table.tableName() + " \\((.*?)\\) ENGINE", Pattern.DOTALL)
            .matcher(sql);
    assertTrue(body.find(), "no table " + table.tableName() + " in clickhouse.sql");
    table.columns().forEach(
        (column, type) -> {
          Matcher line = Pattern.compile("(?m)^\\s*" + column + " (.+?),?$").matcher(body.group(1));
          assertTrue(line.find(), table.tableName() + "." + column + " missing");
          assertTrue(line.group(1).contains(CLICKHOUSE.get(type)), table.tableName() + "." + column + ": " + line.group(1));
        });
  }
}
