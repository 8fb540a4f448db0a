package dev.allowdns.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.net.InetAddresses;
import dev.allowdns.config.Cidr;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
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
  void identify_manyNetworksOfManyLengths_agreesWithAScanMostSpecificFirst() {
    Random random = new Random(7);
    List<Sandboxes.Entry> entries = new ArrayList<>();
    for (int i = 0; i < 2_000; i++) {
      boolean v6 = random.nextInt(4) == 0;
      byte[] network = new byte[v6 ? 16 : 4];
      random.nextBytes(network);
      network[0] = (byte) (v6 ? 0xfd : 10); // a few shared prefixes, so networks nest and overlap
      network[1] = (byte) random.nextInt(3);
      int prefix = v6 ? new int[] {48, 64, 72, 96, 120, 128}[random.nextInt(6)] : 8 + random.nextInt(25);
      entries.add(
          new Sandboxes.Entry(
              new Cidr(address(network), prefix), new Sandbox("sb-" + i, null, null, "default")));
    }
    entries.add(new Sandboxes.Entry(Cidr.parse("0.0.0.0/0"), new Sandbox("all-v4", null, null, "p")));
    Sandboxes directory = Sandboxes.of(entries, "default");

    for (int i = 0; i < 20_000; i++) {
      boolean v6 = random.nextInt(4) == 0;
      byte[] client = new byte[v6 ? 16 : 4];
      random.nextBytes(client);
      client[0] = (byte) (v6 ? 0xfd : 10);
      client[1] = (byte) random.nextInt(3);
      InetAddress address = address(client);
      Optional<String> expected =
          directory.entries().stream()
              .filter(e -> e.cidr().contains(address))
              .map(e -> e.sandbox().id())
              .findFirst();
      assertEquals(expected, directory.identify(address).map(Sandbox::id), address.toString());
    }
  }

  @Test
  void identify_networkGivenWithHostBits_matchesItsWholeNetwork() {
    Sandboxes directory =
        Sandboxes.of(
            List.of(new Sandboxes.Entry(Cidr.parse("172.16.5.77/16"), new Sandbox("pool", null, null, "p"))),
            "default");

    assertEquals("pool", directory.identify(InetAddresses.forString("172.16.200.1")).orElseThrow().id());
  }

  private static InetAddress address(byte[] bytes) {
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }

  @Test
  void identify_unknownClient_isEmpty() {
    assertTrue(sandboxes.identify(InetAddresses.forString("10.9.9.9")).isEmpty());
  }
}
