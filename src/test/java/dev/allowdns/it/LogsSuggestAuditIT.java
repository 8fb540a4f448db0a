package dev.allowdns.it;

import static dev.allowdns.testing.DnsAssertions.assertBlocked;
import static dev.allowdns.testing.DnsAssertions.assertNotBlocked;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allowdns.testing.AllowdnsCli;
import dev.allowdns.testing.CommandResult;
import dev.allowdns.testing.RequiresPrograms;
import dev.allowdns.testing.ResolverStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The audit workflow a person follows: run {@code serve --mode audit}, let the sandbox work, turn
 * what would have been blocked into a zone with {@code logs suggest}, save it, {@code reload}, and
 * the same names resolve under enforcement.
 */
@RequiresPrograms({"knotd", "dig"})
class LogsSuggestAuditIT {
  private static final Pattern ADMIN_ADDRESS = Pattern.compile("; admin (\\S+);");

  @TempDir Path dir;

  @Test
  void suggest_afterAuditMode_givesAZoneThatAllowsWhatWasUsed() throws Exception {
    try (ResolverStack audit = ResolverStack.start("--mode", "audit")) {
      for (String name :
          List.of("x.audit.it.test", "y.audit.it.test", "z.audit.it.test", "unlisted.it.test")) {
        assertNotBlocked(audit.dig().query(name, "A"));
        audit.queryLog().awaitFor(name, 1);
      }
      Path logDir = audit.allowdns().logDir();

      CommandResult suggest =
          AllowdnsCli.run(dir, "logs", "suggest", "--log-dir", logDir.toString(), "--since", "1h");

      assertEquals(0, suggest.exitCode(), suggest::describe);
      List<String> rules =
          suggest
              .stdout()
              .lines()
              .filter(l -> !l.startsWith("#") && !l.isBlank())
              .map(l -> l.split("\\s+")[0])
              .toList();
      assertEquals(List.of("*.audit.it.test", "unlisted.it.test"), rules, suggest::describe);
      Path saved = Files.writeString(dir.resolve("audit.zone"), suggest.stdout());

      try (ResolverStack enforce = ResolverStack.start()) {
        Matcher admin = ADMIN_ADDRESS.matcher(enforce.allowdns().readyLine());
        assertTrue(admin.find(), enforce.allowdns().readyLine());
        assertBlocked(enforce.dig().query("unlisted.it.test", "A"), "default");
        Files.copy(saved, enforce.allowdns().zonesDir().resolve("audit.zone"));

        CommandResult reload = AllowdnsCli.run(dir, "reload", "--admin", admin.group(1));

        assertEquals(0, reload.exitCode(), reload::describe);
        assertTrue(reload.stdout().contains("default: + audit: *.audit.it.test"), reload::describe);
        assertEquals("NOERROR", enforce.dig().query("unlisted.it.test", "A").status());
        assertNotBlocked(enforce.dig().query("w.audit.it.test", "A"));
        assertBlocked(enforce.dig().query("not-used.it.test", "A"), "default");
      }
    }
  }
}
