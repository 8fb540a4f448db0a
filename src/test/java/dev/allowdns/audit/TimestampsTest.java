package dev.allowdns.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TimestampsTest {
  @ParameterizedTest
  @ValueSource(strings = {"2026-04-21T14:32:07.000Z", "2026-04-21T14:32:07.009Z", "2026-04-21T14:32:07.090Z",
    "2026-04-21T14:32:07.999Z", "1969-12-31T23:59:59.999Z", "2026-12-31T23:59:59.500Z"})
  void format_alwaysThreeDigitsOfMillis(String text) {
    Instant instant = Instant.parse(text);
    assertEquals(text, Timestamps.format(instant.toEpochMilli()));
    assertEquals(text, Timestamps.format(instant));
  }
}
