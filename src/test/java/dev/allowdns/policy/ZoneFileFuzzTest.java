package dev.allowdns.policy;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Zone files from arbitrary bytes, loaded the way {@code serve} and {@code validate} load them:
 * any input gives a policy, or a {@link PolicyException} whose every error is
 * {@code file:line: reason} (or {@code file: reason}); never another exception. A policy that
 * loads decides every name its own lines spell without throwing.
 */
class ZoneFileFuzzTest {
  private static final Path DIR = tempDir();
  private static final Path FILE = DIR.resolve("fuzz.zone");
  private static final Pattern ERROR =
      Pattern.compile(Pattern.quote(FILE.toString()) + "(:[1-9][0-9]*)?: \\S.*", Pattern.DOTALL);

  private static Path tempDir() {
    try {
      Path dir = Files.createTempDirectory("allowdns-zone-fuzz");
      dir.toFile().deleteOnExit();
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @FuzzTest
  void zoneFile(byte[] input) throws IOException {
    Files.write(FILE, input);
    PolicySet set;
    try {
      set = PolicySet.load(DIR, Map.of(), 1);
    } catch (PolicyException e) {
      assertTrue(!e.errors().isEmpty(), "a PolicyException without errors");
      for (String error : e.errors()) {
        assertTrue(ERROR.matcher(error).matches(), () -> "not file:line: reason: " + error);
      }
      return;
    }
    Policy policy = set.policy(PolicySet.DEFAULT_POLICY).orElseThrow();
    for (String line : new String(input, StandardCharsets.UTF_8).split("\n", 64)) {
      String name;
      try {
        name = DomainName.normalize(line.replaceFirst("^[!*~]+\\.?", "").trim());
      } catch (IllegalArgumentException notAName) {
        continue;
      }
      assertNotNull(policy.decide(name).reason());
    }
  }
}
