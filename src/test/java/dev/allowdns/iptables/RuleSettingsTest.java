package dev.allowdns.iptables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RuleSettingsTest {
  @ParameterizedTest
  @ValueSource(strings = {"tap0", "tap+", "vm-7.eth_0", "a", "abcdefghijklmn+", "VETH+"})
  void settings_validInterfaceName_isAccepted(String name) {
    assertEquals(List.of(name), new RuleSettings(List.of(name), 1053, 15001).sandboxInterfaces());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "''                | is empty",
        "abcdefghijklmnop  | is longer than 15 characters",
        "tap/0             | contains '/'",
        "'tap 0'           | contains ' '",
        "tap0;reboot       | contains ';'",
        "tap+0             | has '+' before its end",
        "++                | has '+' before its end",
        "-j                | starts with '-'",
        "+                 | matches every interface",
      })
  void settings_badInterfaceName_isRejectedWithTheReason(String name, String reason) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> new RuleSettings(List.of(name), 1053, 15001));
    assertTrue(
        e.getMessage().startsWith("sandbox interface '" + name + "' " + reason), e.getMessage());
  }

  @Test
  void settings_repeatedInterfaces_areKeptOnceInFirstOrder() {
    RuleSettings settings = new RuleSettings(List.of("vm1", "tap+", "vm1"), 1053, 15001);
    assertEquals(List.of("vm1", "tap+"), settings.sandboxInterfaces());
  }

  @Test
  void settings_noInterface_isRejected() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> new RuleSettings(List.of(), 1053, 15001));
    assertEquals("at least one sandbox interface is required", e.getMessage());
  }

  @ParameterizedTest
  @CsvSource({
    "0, 15001, 'DNS port must be 1..65535, got 0'",
    "65536, 15001, 'DNS port must be 1..65535, got 65536'",
    "1053, -1, 'relay port must be 1..65535, got -1'",
    "1053, 1053, 'the DNS port and the relay port must differ, both are 1053'",
  })
  void settings_badPorts_areRejectedWithTheValue(int dnsPort, int relayPort, String message) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new RuleSettings(List.of("tap+"), dnsPort, relayPort));
    assertEquals(message, e.getMessage());
  }
}
