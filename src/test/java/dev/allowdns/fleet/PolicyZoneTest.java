package dev.allowdns.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allowdns.policy.Decision;
import dev.allowdns.policy.Policy;
import dev.allowdns.policy.PolicyException;
import dev.allowdns.policy.PolicySet;
import dev.allowdns.policy.Rule;
import dev.allowdns.policy.Zone;
import dev.allowdns.policy.ZoneSource;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Master;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;

class PolicyZoneTest {
  private static final Name ORIGIN = Name.fromConstantString("policy.test.");

  /** Prints with the exporter, parses back with dnsjava's zone file parser, as a primary would. */
  private static PolicyZone.Contents roundTrip(Path zones, Map<String, List<String>> policies) throws Exception {
    String text = PolicyExport.zoneFile("policy.test", 7, Duration.ofMinutes(5), Duration.ofMinutes(1), zones, policies);
    List<Record> records = new ArrayList<>();
    try (Master master = new Master(new java.io.ByteArrayInputStream(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)), ORIGIN)) {
      for (Record r = master.nextRecord(); r != null; r = master.nextRecord()) {
        records.add(r);
      }
    }
    Collections.shuffle(records, new java.util.Random(1)); // a transfer need not keep the order
    return PolicyZone.decode(ORIGIN, records);
  }

  @Test
  void exportThenImport_carriesTheLimits_globalAndEachPolicysOwn() throws Exception {
    Path zones = Path.of("zones");
    dev.allowdns.config.Limits strict = new dev.allowdns.config.Limits(20, 100, 5, 0, 1_250_000, 125_000_000);
    dev.allowdns.config.LimitsConfig limits =
        new dev.allowdns.config.LimitsConfig(dev.allowdns.config.Limits.DEFAULTS, Map.of("strict", strict));
    String text =
        PolicyExport.zoneFile("policy.test", 7, Duration.ofMinutes(5), Duration.ofMinutes(1), zones,
            Map.of("default", List.of("npm"), "strict", List.of("npm")), limits);
    assertTrue(text.contains("\"strict\" \"dns_qps=20\""), text);
    List<Record> records = new ArrayList<>();
    try (Master master = new Master(new java.io.ByteArrayInputStream(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)), ORIGIN)) {
      for (Record r = master.nextRecord(); r != null; r = master.nextRecord()) {
        records.add(r);
      }
    }
    assertEquals(limits, PolicyZone.decode(ORIGIN, records).limits());
    assertEquals(null, roundTrip(zones, Map.of()).limits(), "a zone without _limits leaves the config's in force");
  }

  @Test
  void exportThenImport_ofEveryShippedZone_givesTheSameTextsRulesAndOrigins() throws Exception {
    Path zones = Path.of("zones");
    PolicySet direct = PolicySet.load(zones, Map.of(), 1);
    PolicyZone.Contents contents = roundTrip(zones, Map.of());
    List<String> errors = new ArrayList<>();
    assertEquals(PolicySet.readZones(zones, errors), contents.sources());
    assertEquals(7, contents.serial());
    PolicySet transferred = PolicySet.build(contents.sources(), contents.policies(), 1, contents.serial(), List.of());
    assertEquals(direct.zones().size(), transferred.zones().size());
    for (int i = 0; i < direct.zones().size(); i++) {
      Zone a = direct.zones().get(i);
      Zone b = transferred.zones().get(i);
      assertEquals(a.rules(), b.rules(), a.name()); // same patterns, same file:line
      assertEquals(a.ipRanges(), b.ipRanges(), a.name());
      assertEquals(a.forwarders(), b.forwarders(), a.name());
    }
    Policy before = direct.policy("default").orElseThrow();
    Policy after = transferred.policy("default").orElseThrow();
    for (Zone zone : direct.zones()) {
      for (Rule rule : zone.rules()) {
        String name = rule.pattern().startsWith("^") ? "x.test" : "a." + rule.pattern();
        Decision d1 = before.decide(name);
        Decision d2 = after.decide(name);
        assertEquals(d1, d2, name);
      }
    }
    assertEquals(7L, transferred.serial());
  }

  @Test
  void longLinesCommentsBlanksUnicodeAndUnknownDirectives_passThroughVerbatim(@TempDir Path dir) throws Exception {
    String longRegex = "~^(" + "a".repeat(300) + ")\\.example\\.com$";
    List<String> lines =
        List.of("# ünïcode comment \"quoted\" \\ backslash", "", "   ", "@allow-private", longRegex, "registry.npmjs.org  # trailing");
    Files.write(dir.resolve("Mixed.Case.zone"), lines);
    Files.write(dir.resolve("empty.zone"), List.of());
    PolicyZone.Contents contents = roundTrip(dir, Map.of("default", List.of("Mixed.Case", "empty"), "none", List.of()));
    assertEquals(List.of(new ZoneSource(dir + "/Mixed.Case.zone", lines), new ZoneSource(dir + "/empty.zone", List.of())), contents.sources());
    assertEquals(Map.of("default", List.of("Mixed.Case", "empty"), "none", List.of()), contents.policies());
    // A directive this version does not know is carried too (it fails validation, not the layout).
    List<Record> records =
        PolicyZone.encode(ORIGIN, new PolicyZone.Soa(1, 300, 60, 600, 60), 300,
            List.of(new ZoneSource("z/p.zone", List.of("@proxy http://10.0.0.1:3128 synthesize"))), Map.of());
    assertEquals("@proxy http://10.0.0.1:3128 synthesize", PolicyZone.decode(ORIGIN, records).sources().get(0).lines().get(0));
  }

  @Test
  void export_ofZonesWithErrors_listsEveryFileLineReason(@TempDir Path dir) throws Exception {
    Files.write(dir.resolve("bad.zone"), List.of("ok.example.com", "*.com", "a b"));
    PolicyException e =
        assertThrows(PolicyException.class, () -> PolicyExport.zoneFile("policy.test", 1, Duration.ofMinutes(5), Duration.ofMinutes(1), dir, Map.of()));
    assertEquals(2, e.errors().size(), e.errors().toString());
    assertTrue(e.errors().get(0).startsWith(dir + "/bad.zone:2: "), e.errors().toString());
    assertTrue(e.errors().get(1).startsWith(dir + "/bad.zone:3: "), e.errors().toString());
  }

  @Test
  void decode_withALineMissing_isRefused() {
    List<Record> records =
        new ArrayList<>(PolicyZone.encode(ORIGIN, new PolicyZone.Soa(1, 300, 60, 600, 60), 300,
            List.of(new ZoneSource("z/p.zone", List.of("a.test", "b.test", "c.test"))), Map.of()));
    records.removeIf(r -> r.getName().toString().startsWith("2.p.zones."));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PolicyZone.decode(ORIGIN, records));
    assertTrue(e.getMessage().contains("lines 1..3 expected, 2 present"), e.getMessage());
  }

  @Test
  void encode_ofTwoZonesDifferingOnlyInCase_isRefused() {
    assertThrows(IllegalArgumentException.class, () -> PolicyZone.encode(ORIGIN, new PolicyZone.Soa(1, 300, 60, 600, 60), 300,
        List.of(new ZoneSource("z/NPM.zone", List.of()), new ZoneSource("z/npm.zone", List.of())), Map.of()));
  }
}
