package dev.allowdns.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.allowdns.policy.ZoneSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Type;

class ZoneCopyTest {
  private static final Name ORIGIN = Name.fromConstantString("policy.test.");

  private static List<Record> zone(long serial, List<String> lines) {
    return PolicyZone.encode(ORIGIN, new PolicyZone.Soa(serial, 300, 60, 600, 60), 300, List.of(new ZoneSource("zones/a.zone", lines)), Map.of());
  }

  /** Returns the difference an IXFR carries from {@code from} to {@code to} (RFC 1995 §4). */
  private static ZoneCopy.Difference delta(List<Record> from, List<Record> to) {
    SOARecord start = (SOARecord) from.get(0);
    List<Record> deletes = new ArrayList<>(List.of(start));
    from.stream().filter(r -> r.getType() != Type.SOA && !to.contains(r)).forEach(deletes::add);
    List<Record> adds = new ArrayList<>(List.of(to.get(0)));
    to.stream().filter(r -> r.getType() != Type.SOA && !from.contains(r)).forEach(adds::add);
    return new ZoneCopy.Difference(start.getSerial(), deletes, adds);
  }

  @Test
  void apply_ixfrDifferences_givesTheNewZone_andSaveLoadKeepsIt(@TempDir Path dir) throws Exception {
    List<Record> v1 = zone(1, List.of("a.test", "b.test"));
    List<Record> v2 = zone(2, List.of("a.test", "c.test"));
    List<Record> v3 = zone(3, List.of("a.test", "c.test", "d.test"));
    ZoneCopy copy = ZoneCopy.of(ORIGIN, v1).apply(List.of(delta(v1, v2), delta(v2, v3)));
    assertEquals(3, copy.serial());
    assertEquals(List.of("a.test", "c.test", "d.test"), PolicyZone.decode(ORIGIN, copy.records()).sources().get(0).lines());

    Path file = ZoneCopy.file(dir, "policy.test");
    copy.save(file);
    ZoneCopy loaded = ZoneCopy.load(file, ORIGIN);
    assertEquals(3, loaded.serial());
    assertEquals(PolicyZone.decode(ORIGIN, copy.records()), PolicyZone.decode(ORIGIN, loaded.records()));
    assertEquals(null, ZoneCopy.load(dir.resolve("none.zone"), ORIGIN));
  }

  @Test
  void apply_differenceFromAnotherSerial_isRefused() throws Exception {
    List<Record> v1 = zone(1, List.of("a.test"));
    List<Record> v2 = zone(2, List.of("b.test"));
    List<Record> v3 = zone(3, List.of("c.test"));
    ZoneCopy copy = ZoneCopy.of(ORIGIN, v1);
    assertThrows(IllegalArgumentException.class, () -> copy.apply(List.of(delta(v2, v3))));
  }
}
