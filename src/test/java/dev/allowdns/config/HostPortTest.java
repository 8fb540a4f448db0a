package dev.allowdns.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostPortTest {
  @ParameterizedTest
  @CsvSource({
    "127.0.0.1:1053, 53, 127.0.0.1:1053",
    "10.0.0.2, 53, 10.0.0.2:53",
    "[::1]:5353, 53, [::1]:5353",
    "[::]:1053, -1, [::]:1053",
    "2001:db8::1, 53, [2001:db8::1]:53",
  })
  void parse_acceptedForms_roundTrip(String text, int defaultPort, String expected) {
    assertEquals(expected, HostPort.parse(text, defaultPort).toString());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "127.0.0.1 | -1 | no port",
        "localhost:53 | 53 | expected an IP address",
        "127.0.0.1:http | 53 | expected a port number",
        "127.0.0.1:70000 | 53 | port must be 0..65535",
        "[::1 | 53 | expected [IPV6]:PORT",
      })
  void parse_badForms_sayWhatWasExpected(String text, int defaultPort, String message) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> HostPort.parse(text, defaultPort));
    assertTrue(e.getMessage().contains(message), e.getMessage());
  }
}
