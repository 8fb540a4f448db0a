package dev.allowdns.testing;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One DNS response as {@code dig} or {@code kdig} printed it: header, flags, sections and EDNS
 * lines, read from the presentation format.
 *
 * @param text the printed response, from its {@code ->>HEADER<<-} line on
 */
public record DigResponse(String text) {
  private static final Pattern STATUS = Pattern.compile("status: ([A-Z0-9]+)");
  private static final Pattern ID = Pattern.compile("id: (\\d+)");
  private static final Pattern FLAGS =
      Pattern.compile("^;; flags:([^;]*);", Pattern.CASE_INSENSITIVE | Pattern.MULTILINE);
  private static final Pattern EDNS_UDP =
      Pattern.compile("^; EDNS: .*udp: (\\d+)", Pattern.MULTILINE);
  private static final Pattern KDIG_EDNS_UDP =
      Pattern.compile("^;; Version: \\d+; flags: [^;]*; UDP size: (\\d+) B", Pattern.MULTILINE);

  public String status() {
    return find(STATUS, "status");
  }

  public int id() {
    return Integer.parseInt(find(ID, "id"));
  }

  /**
   * Returns the header flags in lower case ({@code qr}, {@code aa}, {@code tc}, {@code rd}, ...).
   */
  public Set<String> flags() {
    Matcher matcher = FLAGS.matcher(text);
    if (!matcher.find()) {
      throw new AssertionError("no flags line in:\n" + text);
    }
    Set<String> flags = new LinkedHashSet<>();
    for (String flag : matcher.group(1).trim().split("\\s+")) {
      if (!flag.isEmpty()) {
        flags.add(flag.toLowerCase(Locale.ROOT));
      }
    }
    return flags;
  }

  public List<RecordLine> question() {
    List<RecordLine> records = new ArrayList<>();
    for (String line : section("QUESTION")) {
      // dig: ";name. IN A"; kdig: ";; name. IN A"
      String[] fields = line.replaceFirst("^;+\\s*", "").trim().split("\\s+");
      if (fields.length >= 3) {
        records.add(new RecordLine(fields[0], -1, fields[2], ""));
      }
    }
    return records;
  }

  public List<RecordLine> answer() {
    return records("ANSWER");
  }

  public List<RecordLine> authority() {
    return records("AUTHORITY");
  }

  public List<RecordLine> additional() {
    return records("ADDITIONAL");
  }

  /** Returns the Extended DNS Error line, e.g. {@code ; EDE: 15 (Blocked): (policy default)}. */
  public Optional<String> ede() {
    return text.lines().filter(line -> line.matches("^;+ EDE: .*")).findFirst();
  }

  /** Returns the UDP payload size of the response's OPT record, when it has one. */
  public Optional<Integer> ednsUdpSize() {
    for (Pattern pattern : List.of(EDNS_UDP, KDIG_EDNS_UDP)) {
      Matcher matcher = pattern.matcher(text);
      if (matcher.find()) {
        return Optional.of(Integer.parseInt(matcher.group(1)));
      }
    }
    return Optional.empty();
  }

  /** Returns the answer's distinct record types, in order of appearance. */
  public Set<String> answerTypes() {
    Set<String> types = new LinkedHashSet<>();
    answer().forEach(record -> types.add(record.type()));
    return types;
  }

  private List<RecordLine> records(String section) {
    List<RecordLine> records = new ArrayList<>();
    for (String line : section(section)) {
      if (!line.startsWith(";")) {
        records.add(RecordLine.parse(line));
      }
    }
    return records;
  }

  private List<String> section(String name) {
    List<String> lines = new ArrayList<>();
    boolean inside = false;
    for (String line : text.split("\n")) {
      if (line.equals(";; " + name + " SECTION:")) {
        inside = true;
      } else if (inside) {
        if (line.isBlank()) {
          break;
        }
        lines.add(line);
      }
    }
    return lines;
  }

  private String find(Pattern pattern, String what) {
    Matcher matcher = pattern.matcher(text);
    if (!matcher.find()) {
      throw new AssertionError("no " + what + " in:\n" + text);
    }
    return matcher.group(1);
  }
}
