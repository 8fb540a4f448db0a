package dev.allowdns.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;

/** Assertions for the resolver's two basic outcomes, with dig's whole output on failure. */
public final class DnsAssertions {
  private DnsAssertions() {}

  /**
   * Asserts the answer of a blocked name: NXDOMAIN, no answer records, one synthesized SOA in the
   * authority section, and an Extended DNS Error 15 (Blocked, RFC 8914 §4.16) naming the policy.
   */
  public static void assertBlocked(DigResult result, String policy) {
    assertEquals("NXDOMAIN", result.status(), result::describe);
    assertEquals(List.of(), result.answer(), result::describe);
    assertEquals(
        List.of("SOA"),
        result.authority().stream().map(RecordLine::type).toList(),
        () -> "one synthesized SOA in the authority section:\n" + result.describe());
    Optional<String> ede = result.ede();
    assertTrue(ede.isPresent(), () -> "an EDE line:\n" + result.describe());
    assertTrue(ede.get().contains("15 (Blocked)"), () -> "EDE 15 (Blocked):\n" + result.describe());
    assertTrue(
        ede.get().contains(policy), () -> "EDE text names " + policy + ":\n" + result.describe());
  }

  /** Asserts an allowed, answered name: NOERROR, at least one answer, and no EDE 15 (Blocked). */
  public static void assertAnswered(DigResult result) {
    assertEquals("NOERROR", result.status(), result::describe);
    assertFalse(result.answer().isEmpty(), () -> "an answer:\n" + result.describe());
    assertNotBlocked(result);
  }

  /** Asserts that the response does not claim the name was blocked. */
  public static void assertNotBlocked(DigResult result) {
    assertFalse(
        result.ede().map(line -> line.contains("15 (Blocked)")).orElse(false),
        () -> "an allowed name must not carry EDE 15 (Blocked):\n" + result.describe());
  }

  /** Returns the data of the answer records of one type, in order. */
  public static List<String> data(DigResult result, String type) {
    return result.answer().stream()
        .filter(record -> record.type().equals(type))
        .map(RecordLine::data)
        .toList();
  }
}
