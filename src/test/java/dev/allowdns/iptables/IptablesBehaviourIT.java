package dev.allowdns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the applied rules do to real traffic. Three namespaces of the test's own: a sandbox, the
 * host that runs allowdns (a router with the sandbox on {@code sbx0}), and an outside network
 * behind the host. Listeners stand in for the resolver and the relay on the host and for servers
 * outside; a probe in the sandbox sends to them, over IPv4 and IPv6.
 */
class IptablesBehaviourIT {
  private static final Duration ARRIVAL = Duration.ofSeconds(5);
  private static final int DNS_PORT = 1053;
  private static final int RELAY_PORT = 15001;

  /** The addresses of one family: host on the sandbox link, sandbox, and an outside server. */
  private record Family(String name, String host, String sandbox, String outside) {}

  private static final Family IPV4 = new Family("v4", "10.0.0.1", "10.0.0.2", "10.99.99.99");
  private static final Family IPV6 = new Family("v6", "fd00::1", "fd00::2", "fd00:99::99");

  private final List<NetworkNamespace> namespaces = new ArrayList<>();
  private final List<ProbeListener> listeners = new ArrayList<>();
  private NetworkNamespace host;
  private NetworkNamespace sandbox;
  private NetworkNamespace outside;

  @BeforeEach
  void buildNetwork() {
    RootNetworking.assumeAvailable();
    String run = NetworkNamespace.newRun();
    host = track(NetworkNamespace.create(run, "h"));
    sandbox = track(NetworkNamespace.create(run, "s"));
    outside = track(NetworkNamespace.create(run, "o"));
    link(host, "sbx0", "10.0.0.1/24", "fd00::1/64", sandbox, "10.0.0.2/24", "fd00::2/64");
    link(host, "up0", "10.99.0.1/16", "fd00:99::1/64", outside, "10.99.99.99/16", "fd00:99::99/64");
    sandbox.run("ip", "route", "add", "default", "via", "10.0.0.1").assertSuccess();
    sandbox.run("ip", "-6", "route", "add", "default", "via", "fd00::1").assertSuccess();
    outside.run("ip", "route", "add", "default", "via", "10.99.0.1").assertSuccess();
    outside.run("ip", "-6", "route", "add", "default", "via", "fd00:99::1").assertSuccess();
    host.sysctl("net.ipv4.ip_forward", "1");
    host.sysctl("net.ipv6.conf.all.forwarding", "1");
  }

  @AfterEach
  void tearDown() {
    AssertionError failure = null;
    for (ProbeListener listener : listeners) {
      listener.close();
    }
    for (NetworkNamespace namespace : namespaces) {
      try {
        namespace.close();
      } catch (AssertionError e) {
        failure = e;
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  @Test
  void appliedRules_sendDnsToTheResolverAndTcpToTheRelay_andLetNothingElseThrough()
      throws InterruptedException {
    ProbeListener onHost =
        listen(host, "udp:" + DNS_PORT, "tcp:" + DNS_PORT, "tcp:" + RELAY_PORT, "udp:5300");
    ProbeListener beyond = listen(outside, "udp:53", "tcp:53", "udp:5353", "tcp:443", "tcp:22");

    // Before: the network works, so whatever goes missing later was stopped by the rules.
    Map<String, String> before = new HashMap<>();
    for (Family family : List.of(IPV4, IPV6)) {
      before.putAll(
          sendFromSandbox(
              "udp", family.outside(), 5353, "before-forwarded-udp-" + family.name(),
              "tcp", family.outside(), 443, "before-forwarded-tcp-" + family.name(),
              "udp", family.host(), 5300, "before-host-udp-" + family.name()));
      assertArrived(beyond, "before-forwarded-udp-" + family.name(), "udp:5353", family);
      assertArrived(beyond, "before-forwarded-tcp-" + family.name(), "tcp:443", family);
      assertArrived(onHost, "before-host-udp-" + family.name(), "udp:5300", family);
    }

    host.run(AllowdnsJar.command("iptables", "apply", "--sandbox-interface", "sbx+"))
        .assertSuccess();
    // Forget the neighbours learned above, so IPv6 must get through neighbour discovery again.
    for (NetworkNamespace ns : List.of(host, sandbox)) {
      ns.run("ip", "neigh", "flush", "all").assertSuccess();
      ns.run("ip", "-6", "neigh", "flush", "all").assertSuccess();
    }

    for (Family family : List.of(IPV4, IPV6)) {
      String f = family.name();
      Map<String, String> outcomes =
          sendFromSandbox(
              "udp", family.outside(), 5353, "forwarded-udp-" + f,
              "udp", family.host(), 5300, "host-udp-" + f,
              "udp", family.outside(), 53, "dns-udp-" + f,
              "tcp", family.outside(), 53, "dns-tcp-" + f,
              "tcp", family.outside(), 443, "https-" + f,
              "tcp", family.host(), 22, "ssh-to-host-" + f);
      String context = f + " outcomes: " + outcomes;

      // DNS to any address is answered on the host, by the resolver's port.
      assertArrived(onHost, "dns-udp-" + f, "udp:" + DNS_PORT, family);
      assertArrived(onHost, "dns-tcp-" + f, "tcp:" + DNS_PORT, family);
      // Every other TCP connection reaches the relay, even one to the host itself.
      assertArrived(onHost, "https-" + f, "tcp:" + RELAY_PORT, family);
      assertArrived(onHost, "ssh-to-host-" + f, "tcp:" + RELAY_PORT, family);
      assertEquals("connected", outcomes.get("https-" + f), context);
      // Anything else is rejected: not routed, and not let in to the host's other services.
      assertEquals("unreachable", outcomes.get("forwarded-udp-" + f), context);
      assertEquals("unreachable", outcomes.get("host-udp-" + f), context);
      for (String token : outcomes.keySet()) {
        assertTrue(beyond.arrived(token).isEmpty(), token + " got out: " + context);
      }
      assertTrue(onHost.arrived("host-udp-" + f).isEmpty(), context);
    }
  }

  private NetworkNamespace track(NetworkNamespace namespace) {
    namespaces.add(namespace);
    return namespace;
  }

  private ProbeListener listen(NetworkNamespace ns, String... ports) throws InterruptedException {
    ProbeListener listener = ProbeListener.start(ns, ports);
    listeners.add(listener);
    return listener;
  }

  /** Connects {@code a} and {@code b} with a veth pair, {@code aName} on a's side, eth0 on b's. */
  private static void link(
      NetworkNamespace a, String aName, String aIpv4, String aIpv6,
      NetworkNamespace b, String bIpv4, String bIpv6) {
    a.run("ip", "link", "add", aName, "type", "veth", "peer", "name", "eth0", "netns", b.name())
        .assertSuccess();
    // nodad: the addresses work at once instead of after duplicate address detection.
    a.run("ip", "addr", "add", aIpv4, "dev", aName).assertSuccess();
    a.run("ip", "addr", "add", aIpv6, "dev", aName, "nodad").assertSuccess();
    a.run("ip", "link", "set", aName, "up").assertSuccess();
    b.run("ip", "addr", "add", bIpv4, "dev", "eth0").assertSuccess();
    b.run("ip", "addr", "add", bIpv6, "dev", "eth0", "nodad").assertSuccess();
    b.run("ip", "link", "set", "eth0", "up").assertSuccess();
  }

  /** Sends from the sandbox, in order, each (protocol, host, port, token); returns the outcomes. */
  private Map<String, String> sendFromSandbox(Object... sends) {
    List<String> args = new ArrayList<>(List.of("send"));
    for (Object value : sends) {
      args.add(value.toString());
    }
    String output =
        sandbox.run(NetProbe.command(args.toArray(String[]::new))).assertSuccess().stdout();
    Map<String, String> outcomes = new HashMap<>();
    output.lines().forEach(line -> outcomes.put(line.split(" ")[0], line.split(" ")[1]));
    return outcomes;
  }

  private static void assertArrived(
      ProbeListener listener, String token, String where, Family family)
      throws InterruptedException {
    ProbeListener.Arrival arrival =
        listener
            .awaitArrival(token, ARRIVAL)
            .orElseThrow(() -> new AssertionError(token + " did not arrive at " + where));
    assertEquals(where, arrival.where(), token);
    assertEquals(address(family.sandbox()), arrival.from(), token + " came from the sandbox");
  }

  private static InetAddress address(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}
