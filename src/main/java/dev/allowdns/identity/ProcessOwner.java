package dev.allowdns.identity;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.allowdns.audit.JsonLine;
import java.io.IOException;
import java.util.List;

/**
 * The process that owned a sandbox-side socket, as the record's {@code process} object.
 *
 * @param exe {@code /proc/PID/exe}: the trusted field (argv can lie); {@code null} when it was
 *     gone before it could be read
 * @param cmdline the process's argv as it says it, which it may have rewritten
 * @param uid its real user id
 * @param parents the executables of its ancestors, nearest first, up to the namespace's first
 *     process
 * @param ambiguous whether several processes held the socket (this is one of them)
 */
public record ProcessOwner(
    long pid, String exe, List<String> cmdline, long uid, List<String> parents, boolean ambiguous)
    implements JsonLine {
  public ProcessOwner {
    cmdline = List.copyOf(cmdline);
    parents = List.copyOf(parents);
  }

  @Override
  public void writeTo(JsonGenerator json) throws IOException {
    json.writeStartObject();
    json.writeNumberField("pid", pid);
    json.writeStringField("exe", exe);
    json.writeArrayFieldStart("cmdline");
    for (String arg : cmdline) {
      json.writeString(arg);
    }
    json.writeEndArray();
    json.writeNumberField("uid", uid);
    json.writeArrayFieldStart("parents");
    for (String parent : parents) {
      json.writeString(parent);
    }
    json.writeEndArray();
    json.writeBooleanField("ambiguous", ambiguous);
    json.writeEndObject();
  }
}
