package dev.allowdns.testing;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.google.common.net.InetAddresses;
import dev.allowdns.audit.ConnectionRecord;
import dev.allowdns.audit.JsonLine;
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
 * Writes record lines through the server's own record types ({@link ConnectionRecord}, {@link
 * QueryRecord}), so readers of the record files are tested against the format the server writes.
 */
public final class AuditLines {
  private AuditLines() {}

  /** Returns a connection line with every seed field set from these values. */
  public static String connection(
      Instant at,
      String sandbox,
      String taskId,
      String user,
      String rule,
      String domain,
      String dstIp,
      long bytesSent,
      long bytesReceived,
      String result,
      String reason) {
    return line(
        new ConnectionRecord(
            at.toString(),
            taskId,
            user,
            "egress",
            domain,
            443,
            domain == null ? "tcp" : "https",
            domain,
            bytesSent,
            bytesReceived,
            25,
            result,
            rule,
            sandbox,
            "172.16.0.2",
            dstIp,
            reason,
            null,
            3,
            null,
            ConnectionRecord.TRANSPARENT,
            null,
            null,
            null,
            null,
            null));
  }

  /** Returns a query line for an A query of {@code name} with these answers. */
  public static String query(
      Instant at, String sandbox, String name, String result, String reason, List<String> answers) {
    return line(
        new QueryRecord(
            at.toEpochMilli(),
            QueryRecord.Asker.of(sandbox, "task-1", "dev@example.com", InetAddresses.forString("172.16.0.2")),
            new QueryRecord.Outcome(
                name,
                Type.A,
                result,
                "allowed".equals(result) ? Rcode.NOERROR : Rcode.NXDOMAIN,
                "allowed".equals(result) ? "default:base" : null,
                answers,
                "allowed".equals(result) ? "10.0.0.53:53" : null),
            false,
            120,
            reason,
            3,
            null));
  }

  /** Writes {@code lines}, each ended by a newline. */
  public static void write(Path file, List<String> lines) throws IOException {
    Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
  }

  /** Writes {@code lines} gzipped, as a rotated record file holds them. */
  public static void gzip(Path file, List<String> lines) throws IOException {
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      out.write((String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
    }
  }

  private static String line(JsonLine record) {
    StringWriter text = new StringWriter();
    try (JsonGenerator json = new JsonFactory().createGenerator(text)) {
      record.writeTo(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return text.toString();
  }
}
