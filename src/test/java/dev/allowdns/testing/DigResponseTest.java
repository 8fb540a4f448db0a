package dev.allowdns.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DigResponseTest {
  private static final String BLOCKED =
      """
      ; <<>> DiG 9.18.49-1~deb12u3-Debian <<>> @127.0.0.1 -p 15399 +time=2 +tries=1 blocked.test A
      ; (1 server found)
      ;; global options: +cmd
      ;; Got answer:
      ;; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 9601
      ;; flags: qr rd ra; QUERY: 1, ANSWER: 0, AUTHORITY: 1, ADDITIONAL: 1

      ;; OPT PSEUDOSECTION:
      ; EDNS: version: 0, flags:; udp: 1232
      ; EDE: 15 (Blocked): (blocked by allowdns policy default)
      ;; QUESTION SECTION:
      ;blocked.test.\t\t\tIN\tA

      ;; AUTHORITY SECTION:
      blocked.test.\t\t60\tIN\tSOA\tns.invalid. admin.invalid. 1 3600 600 86400 60

      ;; Query time: 0 msec
      """;

  private static final String KDIG_TWO =
      """
      ;; ->>HEADER<<- opcode: QUERY; status: NOERROR; id: 64049
      ;; Flags: qr aa rd; QUERY: 1; ANSWER: 1; AUTHORITY: 0; ADDITIONAL: 0

      ;; QUESTION SECTION:
      ;; www.example.test.   \t\tIN\tA

      ;; ANSWER SECTION:
      www.example.test.   \t300\tIN\tA\t192.0.2.1

      ;; Received 50 B
      ;; ->>HEADER<<- opcode: QUERY; status: NXDOMAIN; id: 12819
      ;; Flags: qr aa rd; QUERY: 1; ANSWER: 0; AUTHORITY: 1; ADDITIONAL: 0
      """;

  @Test
  void parse_digBlockedAnswer_readsStatusFlagsEdeAndAuthority() {
    DigResponse response = new DigResult(List.of("dig"), 0, BLOCKED, "").response();

    assertEquals("NXDOMAIN", response.status());
    assertEquals(9601, response.id());
    assertEquals(Set.of("qr", "rd", "ra"), response.flags());
    assertEquals(Optional.of(1232), response.ednsUdpSize());
    assertEquals(
        Optional.of("; EDE: 15 (Blocked): (blocked by allowdns policy default)"), response.ede());
    assertEquals(List.of(), response.answer());
    assertEquals(
        List.of(
            new RecordLine(
                "blocked.test.", 60, "SOA", "ns.invalid. admin.invalid. 1 3600 600 86400 60")),
        response.authority());
    assertEquals("blocked.test", response.question().get(0).owner());
    assertEquals("A", response.question().get(0).type());
  }

  @Test
  void parse_kdigKeepOpenOutput_splitsResponses() {
    List<DigResponse> responses = new DigResult(List.of("kdig"), 0, KDIG_TWO, "").responses();

    assertEquals(2, responses.size());
    assertEquals("NOERROR", responses.get(0).status());
    assertEquals(Set.of("qr", "aa", "rd"), responses.get(0).flags());
    assertEquals("192.0.2.1", responses.get(0).answer().get(0).data());
    assertEquals("www.example.test", responses.get(0).question().get(0).owner());
    assertEquals("NXDOMAIN", responses.get(1).status());
  }

  @Test
  void response_whenDigGotNoReply_failsShowingOutput() {
    DigResult timedOut =
        new DigResult(
            List.of("dig"), 9, ";; connection timed out; no servers could be reached\n", "");

    assertTrue(!timedOut.answered());
    AssertionError error =
        org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class, timedOut::status);
    assertTrue(error.getMessage().contains("connection timed out"), error.getMessage());
  }
}
