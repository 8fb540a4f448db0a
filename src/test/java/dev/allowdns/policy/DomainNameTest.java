package dev.allowdns.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DomainNameTest {
  @ParameterizedTest(name = "''{0}'' -> {1}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          Example.COM                | example.com
          example.com.               | example.com
          '  example.com.  '         | example.com
          bücher.example             | xn--bcher-kva.example
          BÜCHER.Example.            | xn--bcher-kva.example
          xn--bcher-kva.example      | xn--bcher-kva.example
          _dmarc.example.com         | _dmarc.example.com
          -odd-.example              | -odd-.example
          localhost                  | localhost
          """)
  void normalize_returnsPunycodeLowerCaseWithoutTrailingDot(String raw, String expected) {
    assertEquals(expected, DomainName.normalize(raw));
  }

  @ParameterizedTest(name = "''{0}''")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      textBlock =
          """
          ""                 | name '' is empty
          .                  | name '.' is empty
          a..b               | name 'a..b' has an empty label
          .example.com       | name '.example.com' has an empty label
          example.com..      | name 'example.com..' has an empty label
          "foo bar.example"  | name 'foo bar.example' has character ' ' (expected a-z, 0-9, '-' or '_')
          *.example          | name '*.example' has character '*' (expected a-z, 0-9, '-' or '_')
          example.com/path   | name 'example.com/path' has character '/' (expected a-z, 0-9, '-' or '_')
          """)
  void normalize_badName_throwsNamingTheRuleAndValue(String raw, String message) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> DomainName.normalize(raw));

    assertEquals(message, e.getMessage());
  }

  @Test
  void normalize_labelOf63_isAcceptedAndOf64_isRejected() {
    String label63 = "a".repeat(63);

    assertEquals(label63 + ".example", DomainName.normalize(label63 + ".example"));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> DomainName.normalize(label63 + "a.example"));
    assertEquals(
        "name '" + label63 + "a.example' has a label of 64 characters (at most 63 allowed)",
        e.getMessage());
  }

  @Test
  void normalize_nameOf253_isAcceptedAndOf254_isRejected() {
    String name253 = String.join(".", "a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(61));
    assertEquals(253, name253.length());

    assertEquals(name253, DomainName.normalize(name253 + "."));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> DomainName.normalize(name253 + "d"));
    assertEquals(
        "name '" + name253 + "d' is 254 characters long (at most 253 allowed)", e.getMessage());
  }

  @Test
  void normalize_unicodeLabelTooLongForPunycode_throwsNamingTheValue() {
    String raw = "ü".repeat(70) + ".example";

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> DomainName.normalize(raw));

    assertEquals(
        "name '" + raw + "' cannot be converted to IDNA: The label in the input is too long",
        e.getMessage());
  }
}
