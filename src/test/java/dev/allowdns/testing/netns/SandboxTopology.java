package dev.allowdns.testing.netns;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Three network namespaces in a line, the way a sandbox host is wired:
 *
 * <pre>
 *  sandbox [10.200.X.2, fd00:200::2] ── veth ── [10.200.X.1, fd00:200::1] host
 *  host    [10.201.X.1, fd00:201::1] ── veth ── [10.201.X.2, fd00:201::2] internet
 * </pre>
 *
 * The sandbox routes everything through the host; the host forwards (IPv4 and IPv6), so without
 * firewall rules the sandbox reaches the internet namespace directly, and the internet namespace
 * routes back through the host. The sandbox's {@code /etc/resolv.conf} (bind-mounted by {@code ip
 * netns exec} from {@code /etc/netns/SANDBOX/}) names the host's sandbox-side address.
 *
 * <p>Names carry a random suffix, so runs never collide; nothing is created in the test's own
 * namespace except {@code /etc/netns/SANDBOX/}. {@link #close()} (or the JVM's shutdown hook)
 * ends every program started in the namespaces, deletes them and that directory.
 */
public final class SandboxTopology implements AutoCloseable {
  private static final Path NETNS_ETC = Path.of("/etc/netns");

  private final String suffix;
  private final int octet;
  private final List<Namespace> created = new ArrayList<>();
  private final Thread shutdownHook = new Thread(this::teardown, "netns-teardown");
  private Namespace sandbox;
  private Namespace host;
  private Namespace internet;
  private Path sandboxEtc;

  private SandboxTopology(String suffix, int octet) {
    this.suffix = suffix;
    this.octet = octet;
  }

  /** Creates the three namespaces, their links, addresses and routes. */
  public static SandboxTopology create() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    String suffix;
    do {
      suffix = Integer.toString(random.nextInt(10_000, 100_000));
    } while (Namespace.exists("ae2e-sbx-" + suffix));
    SandboxTopology topology = new SandboxTopology(suffix, random.nextInt(1, 255));
    Runtime.getRuntime().addShutdownHook(topology.shutdownHook);
    try {
      topology.build();
      return topology;
    } catch (RuntimeException e) {
      topology.close();
      throw e;
    }
  }

  private void build() {
    sandbox = track(Namespace.create("ae2e-sbx-" + suffix));
    host = track(Namespace.create("ae2e-host-" + suffix));
    internet = track(Namespace.create("ae2e-net-" + suffix));

    link(sandbox, sandboxInterface(), host, hostSandboxInterface());
    link(host, hostInternetInterface(), internet, internetInterface());

    address(sandbox, sandboxInterface(), sandboxV4() + "/24", sandboxV6() + "/64");
    address(host, hostSandboxInterface(), hostSandboxSideV4() + "/24", hostSandboxSideV6() + "/64");
    address(host, hostInternetInterface(), hostInternetSideV4() + "/24", "fd00:201::1/64");
    address(internet, internetInterface(), internetV4(2) + "/24", internetV6(2) + "/64");

    sandbox.ip("link", "set", sandboxInterface(), "up");
    host.ip("link", "set", hostSandboxInterface(), "up");
    host.ip("link", "set", hostInternetInterface(), "up");
    internet.ip("link", "set", internetInterface(), "up");

    sandbox.ip("route", "add", "default", "via", hostSandboxSideV4());
    sandbox.ip("-6", "route", "add", "default", "via", hostSandboxSideV6());
    internet.ip("route", "add", "default", "via", hostInternetSideV4());
    internet.ip("-6", "route", "add", "default", "via", "fd00:201::1");

    host.sysctl("net.ipv4.ip_forward", "1");
    host.sysctl("net.ipv6.conf.all.forwarding", "1");

    writeSandboxResolvConf();
  }

  /** Adds {@code 10.201.X.host/32} and {@code fd00:201::host/128} to the internet namespace. */
  public void addInternetHost(int hostNumber) {
    internet.ip("addr", "add", internetV4(hostNumber) + "/32", "dev", internetInterface());
    internet.ip(
        "addr", "add", internetV6(hostNumber) + "/128", "dev", internetInterface(), "nodad");
  }

  public Namespace sandbox() {
    return sandbox;
  }

  public Namespace host() {
    return host;
  }

  public Namespace internet() {
    return internet;
  }

  /** Returns the random suffix shared by every name of this topology. */
  public String suffix() {
    return suffix;
  }

  /** Returns the host's end of the sandbox link: the interface firewall rules are bound to. */
  public String hostSandboxInterface() {
    return "h2s" + suffix;
  }

  public String sandboxInterface() {
    return "s2h" + suffix;
  }

  public String hostInternetInterface() {
    return "h2i" + suffix;
  }

  public String internetInterface() {
    return "i2h" + suffix;
  }

  public String sandboxV4() {
    return "10.200." + octet + ".2";
  }

  public String sandboxV6() {
    return "fd00:200::2";
  }

  /** Returns the host's address on the sandbox link: the sandbox's gateway and resolver. */
  public String hostSandboxSideV4() {
    return "10.200." + octet + ".1";
  }

  public String hostSandboxSideV6() {
    return "fd00:200::1";
  }

  public String hostInternetSideV4() {
    return "10.201." + octet + ".1";
  }

  /** Returns {@code 10.201.X.hostNumber}, an address of the internet namespace. */
  public String internetV4(int hostNumber) {
    return "10.201." + octet + "." + hostNumber;
  }

  /** Returns {@code fd00:201::hostNumber} (the digits read as hex), an internet address. */
  public String internetV6(int hostNumber) {
    return "fd00:201::" + hostNumber;
  }

  /** Ends every program started in the namespaces, deletes them and the sandbox's /etc files. */
  @Override
  public void close() {
    teardown();
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException alreadyShuttingDown) {
      // The hook is running or has run.
    }
  }

  private synchronized void teardown() {
    List<RuntimeException> failures = new ArrayList<>();
    for (int i = created.size() - 1; i >= 0; i--) {
      try {
        created.get(i).delete();
      } catch (RuntimeException e) {
        failures.add(e);
      }
    }
    created.clear();
    if (sandboxEtc != null) {
      try {
        Files.deleteIfExists(sandboxEtc.resolve("resolv.conf"));
        Files.deleteIfExists(sandboxEtc);
      } catch (IOException e) {
        failures.add(new IllegalStateException("cannot remove " + sandboxEtc, e));
      }
      sandboxEtc = null;
    }
    if (!failures.isEmpty()) {
      IllegalStateException failure = new IllegalStateException("teardown of " + this + " failed");
      failures.forEach(failure::addSuppressed);
      throw failure;
    }
  }

  private Namespace track(Namespace namespace) {
    created.add(namespace);
    return namespace;
  }

  private static void link(Namespace a, String aName, Namespace b, String bName) {
    Namespace.host(
        java.time.Duration.ofSeconds(10),
        "ip", "link", "add", aName, "netns", a.name(), "type", "veth",
        "peer", "name", bName, "netns", b.name());
  }

  private static void address(Namespace namespace, String device, String v4, String v6) {
    namespace.ip("addr", "add", v4, "dev", device);
    // nodad: the address is usable at once instead of after duplicate address detection.
    namespace.ip("addr", "add", v6, "dev", device, "nodad");
  }

  private void writeSandboxResolvConf() {
    Path dir = NETNS_ETC.resolve(sandbox.name());
    try {
      Files.createDirectories(dir);
      sandboxEtc = dir;
      Files.writeString(
          dir.resolve("resolv.conf"),
          "nameserver " + hostSandboxSideV4() + "\noptions timeout:2 attempts:1\n",
          StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write " + dir + "/resolv.conf", e);
    }
  }

  @Override
  public String toString() {
    return "topology " + suffix + " (10.200." + octet + ".0/24, 10.201." + octet + ".0/24)";
  }
}
