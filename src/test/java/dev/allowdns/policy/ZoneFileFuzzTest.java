package dev.allowdns.policy;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Zone files from arbitrary bytes, read as {@link PolicySet#load} reads them (UTF-8, lines as
 * {@code Files.readAllLines} splits them) and parsed: a zone, or {@code file:line: reason} errors
 * and no zone; never an exception. A zone that loads makes a policy that decides every name its
 * own lines spell without throwing.
 */
class ZoneFileFuzzTest {
  private static final String FILE = "zones/fuzz.zone";
  private static final Pattern ERROR =
      Pattern.compile(Pattern.quote(FILE) + ":[1-9][0-9]*: \\S.*", Pattern.DOTALL);

  @FuzzTest
  void zoneFile(byte[] input) throws IOException {
    List<String> lines;
    try {
      lines = lines(input);
    } catch (CharacterCodingException notUtf8) {
      return; // PolicySet.load: "FILE: is not UTF-8 text"
    }
    List<String> errors = new ArrayList<>();
    Zone zone = ZoneParser.parse("fuzz", FILE, lines, errors);
    if (!errors.isEmpty()) {
      assertNull(zone, "a zone despite errors");
      for (String error : errors) {
        assertTrue(ERROR.matcher(error).matches(), () -> "not file:line: reason: " + error);
      }
      return;
    }
    assertNotNull(zone, "no zone and no error");
    Policy policy = new Policy(PolicySet.DEFAULT_POLICY, List.of(zone));
    for (String line : lines) {
      String name;
      try {
        name = DomainName.normalize(line.replaceFirst("^[!*~]+\\.?", "").trim());
      } catch (IllegalArgumentException notAName) {
        continue;
      }
      assertNotNull(policy.decide(name).reason());
    }
  }

  private static List<String> lines(byte[] input) throws IOException {
    var decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(new ByteArrayInputStream(input), decoder))) {
      List<String> lines = new ArrayList<>();
      for (String line; (line = reader.readLine()) != null; ) {
        lines.add(line);
      }
      return lines;
    }
  }
}
