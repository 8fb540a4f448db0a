package dev.allowdns.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allowdns.policy.PolicySet;
import dev.allowdns.sandbox.Sandbox;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProxyDecisionTest {
  @TempDir Path zones;

  private ProxyDecision decide(String authority, boolean audit) throws Exception {
    Files.writeString(zones.resolve("npm.zone"), "registry.npmjs.org\n!evil.npmjs.org\n*.npmjs.org\nip:192.0.2.0/24\n");
    PolicySet policies = PolicySet.load(zones, Map.of(), 1);
    Target target = Target.of(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.CONNECT, authority));
    return ProxyDecision.decide(
        new Sandbox("vm-7", null, null, "default"), policies.policy("default").orElseThrow(), target, audit);
  }

  @Test
  void allowedName_carriesItsRule() throws Exception {
    ProxyDecision d = decide("registry.npmjs.org:443", false);
    assertTrue(d.allowed());
    assertEquals("default:npm", d.rule());
    assertEquals("registry.npmjs.org", d.domain());
  }

  @Test
  void deniedName_is403_namingTheDenyRule() throws Exception {
    ProxyDecision d = decide("evil.npmjs.org:443", false);
    assertFalse(d.allowed());
    assertEquals(403, d.status());
    assertEquals("denied", d.reason());
    assertTrue(d.explanation().startsWith("allowdns policy 'default': evil.npmjs.org is denied by default:npm"), d.explanation());
  }

  @Test
  void ipLiteral_passesOnlyInsideAnIpRule() throws Exception {
    assertTrue(decide("192.0.2.7:443", false).allowed());
    ProxyDecision outside = decide("198.51.100.7:443", false);
    assertEquals("not_allowed", outside.reason());
    assertEquals("allowdns policy 'default': 198.51.100.7 is not inside an ip: rule", outside.explanation());
  }

  @Test
  void auditMode_letsThrough_andKeepsTheReason() throws Exception {
    ProxyDecision d = decide("unlisted.example:443", true);
    assertTrue(d.allowed());
    assertTrue(d.wouldBlock());
    assertEquals("not_allowed", d.reason());
  }

  @Test
  void unknownSandbox_isRefusedEvenInAuditMode() {
    ProxyDecision d = ProxyDecision.decide(null, null, null, true);
    assertFalse(d.allowed());
    assertEquals("unknown_sandbox", d.reason());
  }
}
