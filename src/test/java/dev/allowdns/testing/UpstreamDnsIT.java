package dev.allowdns.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Checks the harness itself: knotd serves the fixture zone, and stops or pauses on demand. */
@RequiresPrograms({"knotd", "dig"})
class UpstreamDnsIT {
  @Test
  void start_servesFixtureZone_thenPauseAndStopSilenceIt() {
    try (UpstreamDns upstream = ResolverStack.startUpstream()) {
      Dig dig = Dig.at(upstream.port());

      DigResult www = dig.query("www.it.test", "A");
      assertEquals("NOERROR", www.status(), www::describe);
      assertEquals(List.of("192.0.2.1"), www.answer().stream().map(RecordLine::data).toList());

      // The rebinding tests rely on every fixture address being served as written.
      assertEquals(7, dig.query("mixed.it.test", "A").answer().size());
      assertEquals(5, dig.query("mixed.it.test", "AAAA").answer().size());

      DigResult bigOverUdp = dig.query("big.it.test", "TXT", "+ignore");
      assertTrue(bigOverUdp.hasFlag("tc"), bigOverUdp::describe);
      DigResult bigOverTcp = dig.query("big.it.test", "TXT", "+tcp");
      assertEquals(6, bigOverTcp.answer().size(), bigOverTcp::describe);

      upstream.pause();
      assertFalse(dig.query("www.it.test", "A").answered(), "a paused knotd must not answer");
      upstream.resume();
      assertEquals("NOERROR", dig.query("www.it.test", "A").status());

      upstream.stop();
      assertFalse(upstream.isRunning());
      assertFalse(dig.query("www.it.test", "A").answered(), "a stopped knotd must not answer");
    }
  }
}
