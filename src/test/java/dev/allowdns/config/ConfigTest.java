package dev.allowdns.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigTest {
  @TempDir Path dir;

  @Test
  void resolve_nothingSaid_appliesDesignDefaults() throws Exception {
    Path resolvConf = write("resolv.conf", "# comment\nnameserver 10.0.0.2\nnameserver ::1\nsearch x\n");
    Config config = Config.resolve(ConfigFile.EMPTY, resolvConf);
    assertEquals("[127.0.0.1:1053]", config.listen().toString());
    assertEquals("[10.0.0.2:53, [::1]:53]", config.upstreams().toString());
    assertEquals(Path.of("zones"), config.zones());
    assertEquals("127.0.0.1:9153", config.adminListen().toString());
    assertNull(config.relayListen());
    assertEquals(Duration.ofHours(1), config.ledgerMinTtl());
    assertEquals(100_000, config.cacheSize());
    assertEquals(Duration.ofDays(90), config.logMaxAge());
  }

  @Test
  void resolve_logMaxAgeZeroOrUnlimited_isRefused() throws Exception {
    for (String age : List.of("0d", "unlimited")) {
      ConfigFile said = ConfigFile.of(Map.of("upstreams", List.of("10.0.0.1"), "log_max_age", age));
      ConfigException e = assertThrows(ConfigException.class, () -> Config.resolve(said, null));
      assertTrue(e.getMessage().contains("log_max_age: "), e.getMessage());
    }
    ConfigFile said = ConfigFile.of(Map.of("upstreams", List.of("10.0.0.1"), "log_max_age", "30d"));
    assertEquals(Duration.ofDays(30), Config.resolve(said, null).logMaxAge());
  }

  @Test
  void resolve_anEmptyListItem_isAnErrorNamingItsKey() throws Exception {
    Path file = write("empty-item.yaml", "upstreams: [10.0.0.1]\nlisten:\n  - \n");
    ConfigException e =
        assertThrows(ConfigException.class, () -> Config.resolve(ConfigFile.read(file), null));
    assertEquals(List.of("listen: an empty value"), e.errors());
  }

  @Test
  void resolve_noUpstreamAnywhere_isAnError() throws Exception {
    Path resolvConf = write("resolv.conf", "search example\n");
    ConfigException e =
        assertThrows(ConfigException.class, () -> Config.resolve(ConfigFile.EMPTY, resolvConf));
    assertTrue(e.errors().get(0).contains("names no nameserver"), e.getMessage());
  }

  @Test
  void read_yamlKeysAndFlags_flagsWin() throws Exception {
    Path file =
        write(
            "allowdns.yaml",
            """
            listen: [127.0.0.1:2053]
            upstreams: [192.0.2.1]
            upstream_timeout: 750ms
            policies:
              default: [npm]
            sandboxes:
              - cidr: 172.16.0.2/32
                id: vm-7
                task_id: task_abc123
                user: dev@example.com
            """);
    ConfigFile flags = ConfigFile.of(Map.of("listen", List.of("127.0.0.1:3053")));
    Config config = Config.resolve(ConfigFile.read(file).overriddenBy(flags), null);
    assertEquals("[127.0.0.1:3053]", config.listen().toString());
    assertEquals("[192.0.2.1:53]", config.upstreams().toString());
    assertEquals(Duration.ofMillis(750), config.upstreamTimeout());
    assertEquals("vm-7", config.sandboxes().get(0).sandbox().id());
    assertEquals("task_abc123", config.sandboxes().get(0).sandbox().taskId());
    assertEquals("default", config.sandboxes().get(0).sandbox().policy());
  }

  @Test
  void read_unknownKey_isReportedWithItsLine() throws Exception {
    Path file = write("bad.yaml", "listen: [127.0.0.1:53]\nupstream: [10.0.0.1]\n");
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigFile.read(file));
    assertTrue(e.errors().get(0).startsWith(file + ":2: unknown key 'upstream'"), e.getMessage());
  }

  @Test
  void resolve_everyBadValue_isListed() throws Exception {
    Path file =
        write(
            "bad.yaml",
            """
            listen: [localhost:53]
            upstreams: [10.0.0.1]
            upstream_timeout: soon
            sandboxes:
              - cidr: 10.0.0.0/40
                id: vm-1
              - id: vm-2
            """);
    ConfigException e =
        assertThrows(ConfigException.class, () -> Config.resolve(ConfigFile.read(file), null));
    assertEquals(4, e.errors().size(), e.getMessage());
    assertTrue(e.getMessage().contains("listen: expected an IP address"), e.getMessage());
    assertTrue(e.getMessage().contains("upstream_timeout: expected a duration"), e.getMessage());
    assertTrue(e.getMessage().contains("sandboxes[0].cidr: prefix length"), e.getMessage());
    assertTrue(e.getMessage().contains("sandboxes[1]: needs both cidr and id"), e.getMessage());
  }

  @Test
  void read_bypassKeysAndSandboxNamespaces() throws Exception {
    Path file =
        write(
            "allowdns.yaml",
            """
            upstreams: [192.0.2.1]
            udp_sink_listen: "[::]:15353"
            udp_sink_max_flows: 500
            process_identity: all
            sandboxes:
              - {cidr: 10.200.0.2/32, id: ns-1, netns: sbx-1}
              - {cidr: 10.200.0.3/32, id: ns-2, netns_pid: 4242}
              - {cidr: 172.16.0.2/32, id: vm-7}
            """);
    Config config = Config.resolve(ConfigFile.read(file), null);
    assertEquals("[::]:15353", config.udpSinkListen().toString());
    assertEquals(500, config.udpSinkMaxFlows());
    assertEquals(Config.ProcessIdentity.ALL, config.processIdentity());
    assertEquals("/run/netns/sbx-1", config.sandboxes().get(0).sandbox().netns());
    assertEquals("/proc/4242/ns/net", config.sandboxes().get(1).sandbox().netns());
    assertNull(config.sandboxes().get(2).sandbox().netns(), "a microVM: no namespace to look into");
  }

  @Test
  void resolve_badNamespaceAndIdentity_areListed() throws Exception {
    Path file =
        write(
            "bad.yaml",
            """
            upstreams: [192.0.2.1]
            process_identity: sometimes
            udp_sink_max_flows: 0
            sandboxes:
              - {cidr: 10.200.0.2/32, id: ns-1, netns: ../etc}
              - {cidr: 10.200.0.3/32, id: ns-2, netns: a, netns_pid: 1}
            """);
    ConfigException e =
        assertThrows(ConfigException.class, () -> Config.resolve(ConfigFile.read(file), null));
    assertEquals(4, e.errors().size(), e.getMessage());
    assertTrue(e.getMessage().contains("process_identity: expected refused, all or off"), e.getMessage());
    assertTrue(e.getMessage().contains("udp_sink_max_flows: must be 1..1000000"), e.getMessage());
    assertTrue(e.getMessage().contains("sandboxes[0]: netns '../etc' is not a namespace name"), e.getMessage());
    assertTrue(e.getMessage().contains("sandboxes[1]: give netns or netns_pid, not both"), e.getMessage());
  }

  private Path write(String name, String text) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, text);
    return file;
  }
}
