package dev.allowdns.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationTextTest {
  @ParameterizedTest
  @CsvSource({"500ms, PT0.5S", "30s, PT30S", "5m, PT5M", "1h, PT1H", "1d, PT24H"})
  void parse_units(String text, String expected) {
    assertEquals(Duration.parse(expected), DurationText.parse(text));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "1", "1.5s", "-1s", "1w", "s"})
  void parse_badText_isRejected(String text) {
    assertThrows(IllegalArgumentException.class, () -> DurationText.parse(text));
  }
}
