package dev.allowdns.admin;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.allowdns.sandbox.SandboxRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * What the admin API reads from a client: the body of {@code POST /sandboxes}, parsed and then
 * registered as the server does, and the query string of any request (as the HTTP server has
 * parsed it into a URI). A bad request is a
 * {@link AdminServer.BadRequest} (400) or, from the registry, an {@link IllegalArgumentException}
 * (400); anything else would be a 500.
 *
 * <p>Input layout: byte 0 the length {@code L} of the query string, {@code L} bytes of it, the
 * rest the body.
 */
class SandboxBodyFuzzTest {
  private static final SandboxRegistry REGISTRY = registry();

  private static SandboxRegistry registry() {
    try {
      return SandboxRegistry.open(Files.createTempDirectory("allowdns-admin-fuzz"), List.of(), "default");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @FuzzTest
  void sandboxBody(byte[] input) throws IOException {
    if (input.length < 1) {
      return;
    }
    int queryLength = Math.min(input[0] & 0xff, input.length - 1);
    String rawQuery = new String(input, 1, queryLength, StandardCharsets.UTF_8);
    byte[] body = Arrays.copyOfRange(input, 1 + queryLength, input.length);

    URI uri;
    try {
      uri = new URI("/sandboxes?" + rawQuery);
    } catch (java.net.URISyntaxException e) {
      uri = null; // the HTTP server rejects such a request line before any handler sees it
    }
    if (uri != null) {
      assertNotNull(AdminServer.query(uri));
    }

    SandboxRegistry.Registration registration;
    try {
      registration = AdminServer.registrationOf(body);
    } catch (AdminServer.BadRequest e) {
      assertNotNull(e.getMessage());
      return;
    }
    try {
      REGISTRY.add(registration);
    } catch (IllegalArgumentException e) {
      assertNotNull(e.getMessage());
      return;
    }
    assertTrue(REGISTRY.registered().contains(registration), "registered but not listed");
    // Whatever was registered must still be identifiable, and removable.
    REGISTRY.current().identify(InetAddress.getLoopbackAddress());
    REGISTRY.remove(registration.id());
  }
}
