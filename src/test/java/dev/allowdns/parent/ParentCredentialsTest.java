package dev.allowdns.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allowdns.config.ParentProxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParentCredentialsTest {
  @TempDir Path dir;

  private Path file(String mode, String... lines) throws Exception {
    Path f = dir.resolve("auth");
    Files.write(f, java.util.List.of(lines));
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(mode));
    return f;
  }

  @Test
  void load_oneLine_isForEveryParent() throws Exception {
    ParentCredentials c = ParentCredentials.load(file("rw-------", "# corp", "alice:s3cret"));
    // Basic base64("alice:s3cret")
    assertEquals("Basic YWxpY2U6czNjcmV0", c.authorizationFor(new ParentProxy("10.0.0.3", 3128)));
    assertEquals("Basic YWxpY2U6czNjcmV0", c.authorizationFor(new ParentProxy("other", 8080)));
  }

  @Test
  void load_linesPerParent_matchByHostPort() throws Exception {
    ParentCredentials c =
        ParentCredentials.load(file("r--------", "10.0.0.3:3128 alice:a", "[fd00::3]:8080 bob:b"));
    assertEquals("Basic YWxpY2U6YQ==", c.authorizationFor(new ParentProxy("10.0.0.3", 3128)));
    assertEquals("Basic Ym9iOmI=", c.authorizationFor(new ParentProxy("fd00::3", 8080)));
    assertNull(c.authorizationFor(new ParentProxy("10.0.0.3", 8080)));
  }

  @Test
  void load_readableByOthers_isRefused() throws Exception {
    Path f = file("rw-r--r--", "alice:s3cret");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ParentCredentials.load(f));
    assertTrue(e.getMessage().contains("chmod 600"), e.getMessage());
  }

  @Test
  void load_badLine_saysWhereWithoutTheSecret() throws Exception {
    Path f = file("rw-------", "10.0.0.3:3128 alice-no-colon-s3cret");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ParentCredentials.load(f));
    assertEquals(f + ":1: expected user:password or HOST:PORT user:password", e.getMessage());
    assertFalse(e.getMessage().contains("s3cret"));
  }
}
