package dev.allowdns.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/** Checks the harness itself: the fake upstream sends its script in order and counts queries. */
@RequiresPrograms({"dig"})
class FakeUpstreamIT {
  @Test
  void respond_sendsScriptedRepliesInOrder_andCountsQueries() throws Exception {
    try (FakeUpstream upstream =
        FakeUpstream.start(
            received -> {
              Message query = received.message();
              Message good = FakeUpstream.answer(query, a(query, "192.0.2.77"));
              return List.of(
                  FakeUpstream.withId(good, query.getHeader().getID() ^ 0x5555),
                  FakeUpstream.withQuestionName(good, Name.fromConstantString("evil.it.test.")),
                  good);
            })) {
      Message query = Message.newQuery(Record.newRecord(name("spoof.it.test."), Type.A, DClass.IN));
      byte[] first =
          RawDns.at(upstream.port())
              .udpExchange(query.toWire(), Duration.ofSeconds(2))
              .orElseThrow();
      assertEquals(query.getHeader().getID() ^ 0x5555, RawDns.id(first), "spoof comes first");

      DigResult dig = Dig.at(upstream.port()).query("counted.it.test", "A");
      // dig discards the mismatched replies itself and keeps the good one.
      assertEquals(
          List.of("192.0.2.77"),
          dig.answer().stream().map(RecordLine::data).toList(),
          dig::describe);
      assertEquals(1, upstream.queriesFor("counted.it.test"));
      assertEquals(1, upstream.queriesFor("SPOOF.it.test."));

      upstream.respondWith(received -> List.of());
      assertFalse(Dig.at(upstream.port()).query("silent.it.test", "A").answered());
    }
  }

  private static Record a(Message query, String address) {
    return DnsRecords.a(query.getQuestion().getName(), 60, address);
  }

  private static Name name(String name) {
    return Name.fromConstantString(name);
  }
}
