package dev.allowdns.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.net.InetAddresses;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading a zones directory into policies. */
class PolicySetTest {
  private static final Path POLICIES = Path.of("src/test/resources/policy/policies");
  private static final Path IP_RANGES = Path.of("src/test/resources/policy/ip-ranges");

  @TempDir Path tempDir;

  private static List<String> zoneNames(List<Zone> zones) {
    return zones.stream().map(Zone::name).toList();
  }

  @Test
  void load_withoutPolicies_makesOneDefaultPolicyOfEveryZone() throws PolicyException {
    PolicySet set = PolicySet.load(POLICIES, Map.of(), 7);

    assertEquals(7, set.generation());
    assertEquals(List.of("default"), List.copyOf(set.policies().keySet()));
    assertEquals(List.of("github", "npm", "pypi"), zoneNames(set.zones()));
    Policy policy = set.policy("default").orElseThrow();
    assertEquals(List.of("github", "npm", "pypi"), zoneNames(policy.zones()));
    assertEquals("default:pypi", policy.decide("pypi.org").ruleLabel());
  }

  @Test
  void load_withPolicies_buildsEachFromItsListedZones() throws PolicyException {
    PolicySet set =
        PolicySet.load(
            POLICIES, Map.of("strict", List.of("npm"), "default", List.of("npm", "pypi")), 1);

    assertEquals(List.of("default", "strict"), List.copyOf(set.policies().keySet()));
    assertEquals(List.of("github", "npm", "pypi"), zoneNames(set.zones()));
    Policy strict = set.policy("strict").orElseThrow();
    Policy standard = set.policy("default").orElseThrow();
    assertEquals(List.of("npm"), zoneNames(strict.zones()));
    assertEquals(List.of("npm", "pypi"), zoneNames(standard.zones()));

    Decision strictPypi = strict.decide("pypi.org");
    assertEquals(Verdict.BLOCKED, strictPypi.verdict());
    assertEquals(Decision.NOT_ALLOWED, strictPypi.reason());
    Decision strictNpm = strict.decide("registry.npmjs.org");
    assertEquals(Verdict.ALLOWED, strictNpm.verdict());
    assertEquals("strict:npm", strictNpm.ruleLabel());
    assertEquals(Verdict.ALLOWED, standard.decide("files.pythonhosted.org").verdict());
    assertEquals(Decision.NOT_ALLOWED, standard.decide("github.com").reason());
  }

  @Test
  void load_policyNamingUnknownZones_reportsEachAndLoadsNothing() {
    PolicyException e =
        assertThrows(
            PolicyException.class,
            () ->
                PolicySet.load(
                    POLICIES,
                    Map.of("strict", List.of("npmx"), "default", List.of("npm", "nope")),
                    1));

    assertEquals(
        List.of(
            "config: policy 'default' names unknown zone 'nope'",
            "config: policy 'strict' names unknown zone 'npmx'"),
        e.errors());
  }

  @Test
  void load_zoneErrorsAndUnknownZones_areReportedTogether() throws IOException {
    Path file = Files.writeString(tempDir.resolve("npm.zone"), "*.com\n");

    PolicyException e =
        assertThrows(
            PolicyException.class,
            () -> PolicySet.load(tempDir, Map.of("default", List.of("npm", "pypi")), 1));

    assertEquals(
        List.of(
            file + ":1: '*.com' allows a whole public suffix 'com'",
            "config: policy 'default' names unknown zone 'pypi'"),
        e.errors());
  }

  @Test
  void load_missingZonesDirectory_isAnError() {
    Path missing = tempDir.resolve("zones");

    PolicyException e =
        assertThrows(PolicyException.class, () -> PolicySet.load(missing, Map.of(), 1));

    assertEquals(
        List.of(missing + ": zones directory does not exist (expected a directory of NAME.zone files)"),
        e.errors());
  }

  @Test
  void load_zonesPathThatIsAFile_isAnError() throws IOException {
    Path file = Files.writeString(tempDir.resolve("zones"), "github.com\n");

    PolicyException e =
        assertThrows(PolicyException.class, () -> PolicySet.load(file, Map.of(), 1));

    assertEquals(
        List.of(file + ": is not a directory (expected a directory of NAME.zone files)"),
        e.errors());
  }

  @Test
  void load_emptyZonesDirectory_givesADefaultPolicyThatBlocksEverything() throws PolicyException {
    PolicySet set = PolicySet.load(tempDir, Map.of(), 1);

    assertEquals(List.of(), set.zones());
    Decision decision = set.policy("default").orElseThrow().decide("github.com");
    assertEquals(Verdict.BLOCKED, decision.verdict());
    assertEquals(Decision.NOT_ALLOWED, decision.reason());
  }

  @Test
  void load_readsOnlyVisibleZoneFiles() throws Exception {
    Files.writeString(tempDir.resolve("npm.zone"), "registry.npmjs.org\n");
    Files.writeString(tempDir.resolve("README.md"), "*.com is not allowed\n");
    Files.writeString(tempDir.resolve("npm.zone.bak"), "*.com\n");
    Files.writeString(tempDir.resolve(".#npm.zone"), "*.com\n"); // editor lock file
    Files.createDirectory(tempDir.resolve("old.zone"));

    assertEquals(List.of("npm"), zoneNames(PolicySet.load(tempDir, Map.of(), 1).zones()));
  }

  @Test
  void load_fileThatIsNotUtf8_isAnError() throws IOException {
    Path file = Files.write(tempDir.resolve("latin1.zone"), new byte[] {'b', (byte) 0xfc, '\n'});

    PolicyException e =
        assertThrows(PolicyException.class, () -> PolicySet.load(tempDir, Map.of(), 1));

    assertEquals(List.of(file + ": is not UTF-8 text"), e.errors());
  }

  @Test
  void load_zoneNameThatCannotBeALabel_isAnError() throws IOException {
    Path file = Files.writeString(tempDir.resolve("my:zone.zone"), "github.com\n");

    PolicyException e =
        assertThrows(PolicyException.class, () -> PolicySet.load(tempDir, Map.of(), 1));

    assertEquals(
        List.of(
            file
                + ": zone name 'my:zone' must be letters, digits, '.', '_' or '-'"
                + " (it names the zone in logs)"),
        e.errors());
  }

  @Test
  void policy_unknownName_isEmpty() throws PolicyException {
    assertEquals(Optional.empty(), PolicySet.load(POLICIES, Map.of(), 1).policy("strict"));
  }

  @Test
  void policiesAndZones_areImmutable() throws PolicyException {
    PolicySet set = PolicySet.load(POLICIES, Map.of(), 1);
    Policy policy = set.policy("default").orElseThrow();

    assertThrows(UnsupportedOperationException.class, () -> set.policies().put("x", policy));
    assertThrows(UnsupportedOperationException.class, () -> set.zones().clear());
  }

  @Test
  void zoneOf_ruleOfAnotherPolicy_isRejected() throws PolicyException {
    PolicySet set =
        PolicySet.load(POLICIES, Map.of("strict", List.of("npm"), "default", List.of("pypi")), 1);
    Rule npmRule = set.policy("strict").orElseThrow().decide("registry.npmjs.org").rule();

    assertThrows(
        IllegalArgumentException.class, () -> set.policy("default").orElseThrow().zoneOf(npmRule));
  }

  @Test
  void zoneOf_carriesTheZoneForwarders() throws PolicyException {
    Policy policy = PolicySet.load(POLICIES, Map.of(), 1).policy("default").orElseThrow();

    Zone zone = policy.zoneOf(policy.decide("github.com").rule());

    assertEquals("github", zone.name());
    assertEquals(53, zone.forwarders().get(0).getPort());
    assertEquals(InetAddresses.forString("10.0.0.53"), zone.forwarders().get(0).getAddress());
  }

  @Test
  void ipRangeFor_returnsTheFirstRangeContainingTheAddress() throws PolicyException {
    Policy policy = PolicySet.load(IP_RANGES, Map.of(), 1).policy("default").orElseThrow();

    assertRange(policy, "140.82.112.0", "github.zone:2");
    assertRange(policy, "140.82.127.255", "github.zone:2");
    assertRange(policy, "140.82.128.0", null);
    assertRange(policy, "140.82.111.255", null);
    assertRange(policy, "192.0.2.7", "corp.zone:2");
    assertRange(policy, "192.0.2.8", null);
    // Inside both corp's /128 and github's /32: corp comes first.
    assertRange(policy, "2001:db8:1::1", "corp.zone:3");
    assertRange(policy, "2001:db8:ffff::1", "github.zone:3");
    assertRange(policy, "2001:db9::", null);
  }

  private static void assertRange(Policy policy, String address, String origin) {
    Optional<IpRange> range = policy.ipRangeFor(InetAddresses.forString(address));
    assertEquals(
        Optional.ofNullable(origin).map(o -> IP_RANGES.resolve(o).toString()),
        range.map(IpRange::origin),
        address);
    assertTrue(range.isEmpty() || range.get().contains(InetAddresses.forString(address)));
  }
}
