package dev.allowdns.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allowdns.audit.ConnectionRecord;
import dev.allowdns.sandbox.Sandbox;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link FlowTable} with time as an argument: when a flow's record is due and what it says. */
class FlowTableTest {
  private static final long S = 1_000_000_000L;
  private static final Sandbox VM = new Sandbox("vm-7", "t", "u", "default");
  private static final Flow.Key KEY =
      new Flow.Key(new InetSocketAddress("172.16.0.2", 40000), new InetSocketAddress("10.0.0.9", 443));

  private static FlowTable table(int max) {
    return new FlowTable(max, Duration.ofSeconds(10), Duration.ofSeconds(60));
  }

  private static Flow newFlow(Flow.Key key, long now) {
    return new Flow(key, VM, "quic", "h3.example", 3, null, null, now);
  }

  @Test
  void due_afterTenQuietSeconds_oneRecordCountingEveryDatagram_andTheFlowIsForgotten() {
    FlowTable flows = table(10);
    for (int i = 0; i < 3; i++) {
      flows.count(KEY, 100, i * S, k -> newFlow(k, 0));
    }
    assertEquals(List.of(), flows.due(11 * S), "quiet 9 s only");

    List<ConnectionRecord> due = flows.due(12 * S);

    assertEquals(1, due.size());
    ConnectionRecord r = due.get(0);
    assertEquals(3L, r.packets());
    assertEquals(300, r.bytesSent());
    assertEquals("quic", r.protocol());
    assertEquals("blocked", r.result());
    assertEquals("udp_not_relayed", r.reason());
    assertEquals("h3.example", r.domain());
    assertEquals(443, r.port());
    assertEquals("10.0.0.9", r.dstIp());
    assertEquals("172.16.0.2", r.clientIp());
    assertEquals("vm-7", r.sandbox());
    assertEquals(2000, r.durationMs());
    assertEquals(0, flows.size());
  }

  @Test
  void due_aFlowThatGoesOn_getsARecordEverySixtySeconds_countingSinceThePrevious() {
    FlowTable flows = table(10);
    long t = 0;
    int sent = 0;
    for (; t <= 59 * S; t += S) {
      flows.count(KEY, 10, t, k -> newFlow(k, 0));
      sent++;
      assertEquals(List.of(), flows.due(t));
    }
    flows.count(KEY, 10, 60 * S, null);
    List<ConnectionRecord> first = flows.due(60 * S);
    assertEquals(1, first.size());
    assertEquals(sent + 1L, first.get(0).packets());

    flows.count(KEY, 10, 61 * S, null);
    flows.count(KEY, 10, 62 * S, null);
    List<ConnectionRecord> second = flows.due(72 * S);
    assertEquals(2L, second.get(0).packets(), "only the datagrams since the previous record");
    assertEquals(0, flows.size());
  }

  @Test
  void count_pastTheBound_isUntracked_andDrainRecordsTheRest() {
    FlowTable flows = table(2);
    for (int port = 1; port <= 3; port++) {
      Flow.Key key = new Flow.Key(KEY.source(), new InetSocketAddress("10.0.0.9", port));
      Flow flow = flows.count(key, 1, 0, k -> newFlow(k, 0));
      if (port <= 2) {
        assertNotNull(flow);
      } else {
        assertNull(flow, "the table holds 2 flows");
      }
    }
    assertEquals(2, flows.size());

    List<ConnectionRecord> drained = flows.drain();

    assertEquals(2, drained.size());
    assertTrue(drained.stream().allMatch(r -> r.packets() == 1));
    assertEquals(0, flows.size());
  }
}
