package dev.allowdns.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.common.net.InetAddresses;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NoProxyTest {
  @ParameterizedTest(name = "{0} / {1} {2}:{3} → {4}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          .corp.example      | a.corp.example   | -          | 443 | true
          .corp.example      | corp.example     | -          | 443 | false
          *.corp.example     | a.b.corp.example | -          | 443 | true
          corp.example       | corp.example     | -          | 443 | true
          corp.example       | a.corp.example   | -          | 443 | true
          corp.example       | xcorp.example    | -          | 443 | false
          corp.example:8443  | corp.example     | -          | 443 | false
          corp.example:8443  | corp.example     | -          | 8443 | true
          10.0.0.0/8         | a.example        | 10.1.2.3   | 443 | true
          10.0.0.0/8         | a.example        | 192.0.2.1  | 443 | false
          192.0.2.7          | -                | 192.0.2.7  | 80  | true
          fd00::/8           | -                | fd00::1    | 80  | true
          *                  | a.example        | 192.0.2.1  | 443 | true
          'a.example, .b.example' | x.b.example | -        | 443 | true
          """)
  void matches_followsGoRules(String entries, String name, String address, int port, boolean direct) {
    NoProxy noProxy = NoProxy.parse(List.of(entries));
    assertEquals(
        direct,
        noProxy.matches(
            name.equals("-") ? null : name,
            address.equals("-") ? null : InetAddresses.forString(address),
            port));
  }

  @ParameterizedTest
  @CsvSource({"bad name!", "a.example:99999", "10.0.0.0/40"})
  void parse_badEntry_isRejected(String entry) {
    assertThrows(IllegalArgumentException.class, () -> NoProxy.parse(List.of(entry)));
  }
}
