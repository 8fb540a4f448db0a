package dev.allowdns.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.net.InetAddresses;
import dev.allowdns.config.Cidr;
import java.util.List;
import org.junit.jupiter.api.Test;

class SandboxesTest {
  private final Sandboxes sandboxes =
      Sandboxes.of(
          List.of(
              new Sandboxes.Entry(Cidr.parse("172.16.0.0/24"), new Sandbox("pool", null, null, "strict")),
              new Sandboxes.Entry(Cidr.parse("172.16.0.2/32"), new Sandbox("vm-7", "t1", "u", "default")),
              new Sandboxes.Entry(Cidr.parse("fd00::7/128"), new Sandbox("vm-7", "t1", "u", "default"))),
          "default");

  @Test
  void identify_mostSpecificNetworkWins() {
    assertEquals("vm-7", sandboxes.identify(InetAddresses.forString("172.16.0.2")).orElseThrow().id());
    assertEquals("pool", sandboxes.identify(InetAddresses.forString("172.16.0.3")).orElseThrow().id());
  }

  @Test
  void identify_dualStackEntriesShareOneId() {
    assertEquals("vm-7", sandboxes.identify(InetAddresses.forString("fd00::7")).orElseThrow().id());
  }

  @Test
  void identify_unregisteredLoopback_getsTheLoopbackPolicy() {
    Sandbox loopback = sandboxes.identify(InetAddresses.forString("127.0.0.1")).orElseThrow();
    assertEquals(Sandbox.LOOPBACK_ID, loopback.id());
    assertEquals("default", loopback.policy());
    assertEquals(Sandbox.LOOPBACK_ID, sandboxes.identify(InetAddresses.forString("::1")).orElseThrow().id());
  }

  @Test
  void identify_unknownClient_isEmpty() {
    assertTrue(sandboxes.identify(InetAddresses.forString("10.9.9.9")).isEmpty());
  }
}
