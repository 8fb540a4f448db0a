package dev.allowdns.logs;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.google.common.net.InetAddresses;
import dev.allowdns.audit.ConnectionRecord;
import dev.allowdns.audit.QueryRecord;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * Writes record lines the way the server does: the writer's own record types, serialised with the
 * writer's naming, so the reader is tested against the real format.
 */
final class RecordLines {
  private static final ObjectMapper JSON =
      new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

  private RecordLines() {}

  static String query(String timestamp, String sandbox, String name, String result, String reason) {
    QueryRecord record =
        new QueryRecord(
            Instant.parse(timestamp).toEpochMilli(),
            QueryRecord.Asker.of(sandbox, null, null, InetAddresses.forString("127.0.0.1")),
            new QueryRecord.Outcome(
                name, Type.A, result, "allowed".equals(result) ? Rcode.NOERROR : Rcode.NXDOMAIN, null, List.of(), null),
            false,
            100,
            reason,
            1,
            null);
    StringWriter line = new StringWriter();
    try (JsonGenerator json = new JsonFactory().createGenerator(line)) {
      record.writeTo(json); // the query log's own writing path
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return line.toString();
  }

  static String connection(
      String timestamp,
      String sandbox,
      String domain,
      String sni,
      String dstIp,
      long bytesSent,
      long bytesReceived,
      String result,
      String reason) {
    return json(
        new ConnectionRecord(
            timestamp,
            null,
            null,
            "egress",
            domain,
            443,
            sni == null ? "tcp" : "https",
            sni,
            bytesSent,
            bytesReceived,
            10,
            result,
            null,
            sandbox,
            "172.16.0.2",
            dstIp,
            reason,
            null,
            1,
            null,
            "transparent",
            null,
            null,
            null,
            null,
            null));
  }

  /** A connection with only a domain and byte counts: the fields {@code logs top} reads. */
  static String connection(String domain, String dstIp, long bytesSent, long bytesReceived) {
    return connection(
        "2026-04-21T14:32:07Z",
        "vm-7",
        domain,
        domain,
        dstIp,
        bytesSent,
        bytesReceived,
        "allowed",
        null);
  }

  static void write(Path file, String... lines) throws IOException {
    Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
  }

  static void gzip(Path file, String... lines) throws IOException {
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      out.write((String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
    }
  }

  private static String json(Object record) {
    try {
      return JSON.writeValueAsString(record);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
