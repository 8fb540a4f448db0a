package dev.allowdns.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.allowdns.policy.Decision;
import dev.allowdns.policy.Policy;
import dev.allowdns.policy.PolicySet;
import dev.allowdns.policy.ZoneSource;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xbill.DNS.Master;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;

class RpzZoneTest {
  private static final Name ORIGIN = Name.fromConstantString("rpz.test.");
  private static final String FEED =
      """
      rpz.test. 300 IN SOA ns.rpz.test. h.rpz.test. 9 300 60 600 60
      rpz.test. 300 IN NS ns.rpz.test.
      evil.example.com.rpz.test. 300 IN CNAME .
      *.tracker.example.com.rpz.test. 300 IN CNAME *.
      ok.tracker.example.com.rpz.test. 300 IN CNAME rpz-passthru.
      drop.example.com.rpz.test. 300 IN CNAME rpz-drop.
      local.example.com.rpz.test. 300 IN A 192.0.2.1
      tcp.example.com.rpz.test. 300 IN CNAME rpz-tcp-only.
      32.1.0.0.127.rpz-ip.rpz.test. 300 IN CNAME .
      """;

  private static Policy policy() throws Exception {
    List<Record> records = new ArrayList<>();
    try (Master master = new Master(new ByteArrayInputStream(FEED.getBytes(StandardCharsets.UTF_8)), ORIGIN)) {
      for (Record r = master.nextRecord(); r != null; r = master.nextRecord()) {
        records.add(r);
      }
    }
    RpzZone.Triggers triggers = RpzZone.read("rpz.test", ZoneCopy.of(ORIGIN, records));
    assertEquals(3, triggers.skipped()); // local data, tcp-only, an IP trigger
    assertEquals(9, triggers.list().serial());
    PolicySet set =
        PolicySet.build(
            List.of(new ZoneSource("zones/all.zone", List.of("**.example.com", "*.tracker.example.com"))),
            Map.of(), 1, null, List.of(triggers.list()));
    return set.policy("default").orElseThrow();
  }

  @ParameterizedTest(name = "{0}: {1} {2}")
  @CsvSource({
    "evil.example.com, rpz, rpz:rpz.test",
    "a.tracker.example.com, rpz, rpz:rpz.test",
    "a.b.tracker.example.com, rpz, rpz:rpz.test",
    "drop.example.com, rpz, rpz:rpz.test",
    "ok.tracker.example.com, allowed, default:all",
    "tracker.example.com, allowed, default:all",
    "a.evil.example.com, allowed, default:all",
    "local.example.com, allowed, default:all",
    "tcp.example.com, allowed, default:all",
  })
  void decide_withAnRpzFeedOnTop(String name, String reason, String rule) throws Exception {
    Decision decision = policy().decide(name);
    assertEquals(reason, decision.reason());
    assertEquals(rule, decision.ruleLabel());
  }
}
