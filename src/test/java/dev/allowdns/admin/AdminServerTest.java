package dev.allowdns.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the admin API reads from a request, without a server. */
class AdminServerTest {
  @Test
  void registrationOf_readsOneSandboxObject() throws Exception {
    byte[] body = "{\"cidr\":\"10.9.0.2/32\",\"id\":\"vm-9\",\"task_id\":\"t9\"}".getBytes(StandardCharsets.UTF_8);
    var registration = AdminServer.registrationOf(body);
    assertEquals("vm-9", registration.id());
    assertEquals("t9", registration.taskId());
  }

  @Test
  void registrationOf_bodyJacksonReadsAsBadUtf32_isABadRequest() {
    // Jackson auto-detects UTF-32 and throws CharConversionException, which is no
    // JsonProcessingException: it passed for "the client went away", and the client got no answer.
    byte[] body = {0, 0, 0, '{', 0x7f, 0x7f, 0x7f, 0x7f};
    AdminServer.BadRequest e = assertThrows(AdminServer.BadRequest.class, () -> AdminServer.registrationOf(body));
    assertTrue(e.getMessage().startsWith("body is not a sandbox JSON object: "), e.getMessage());
  }

  @Test
  void query_decodesEachParameter_aBareKeyIsTrue() throws Exception {
    assertEquals(Map.of("id", "vm 9", "dry_run", "true"), AdminServer.query(new URI("/sandboxes?id=vm%209&dry_run")));
  }
}
