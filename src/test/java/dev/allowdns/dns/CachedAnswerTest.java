package dev.allowdns.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

class CachedAnswerTest {
  private static final long SECOND = 1_000_000_000L;
  private static final Name WWW = Name.fromConstantString("www.example.test.");
  private static final Name HOST = Name.fromConstantString("host.example.test.");

  private static Message upstreamAnswer() throws Exception {
    Message m = new Message();
    m.getHeader().setRcode(Rcode.NOERROR);
    m.addRecord(new CNAMERecord(WWW, DClass.IN, 300, HOST), Section.ANSWER);
    m.addRecord(new ARecord(HOST, DClass.IN, 60, InetAddress.getByName("192.0.2.1")), Section.ANSWER);
    m.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
    return m;
  }

  private static byte[] clientQuery(Name name, int id, boolean edns) {
    Message q = Message.newQuery(Record.newRecord(name, Type.A, DClass.IN));
    q.getHeader().setID(id);
    if (edns) {
      q.addRecord(new OPTRecord(4096, 0, 0), Section.ADDITIONAL);
    }
    return q.toWire();
  }

  private static CachedAnswer cached(long storedAt) throws Exception {
    Record question = Record.newRecord(WWW, Type.A, DClass.IN);
    return CachedAnswer.of(question, upstreamAnswer(), "192.0.2.53:53", storedAt);
  }

  @Test
  void render_countsEveryTtlDownFromWhenItWasStored() throws Exception {
    CachedAnswer answer = cached(0);
    byte[] query = clientQuery(WWW, 4242, false);
    Message out = new Message(answer.render(query, 12 + WWW.length() + 4, 0, 25 * SECOND, false));
    List<Record> records = out.getSection(Section.ANSWER);
    assertEquals(275, records.get(0).getTTL());
    assertEquals(35, records.get(1).getTTL());
    assertEquals(4242, out.getHeader().getID());
    assertTrue(out.getHeader().getFlag(Flags.QR));
    assertTrue(out.getHeader().getFlag(Flags.RD));
    assertTrue(out.getHeader().getFlag(Flags.RA));
    assertNull(out.getOPT());
  }

  @Test
  void isFresh_endsWithTheShortestTtl() throws Exception {
    CachedAnswer answer = cached(0);
    assertTrue(answer.isFresh(59 * SECOND));
    assertFalse(answer.isFresh(60 * SECOND));
  }

  @Test
  void render_stale_usesRfc8767Ttl() throws Exception {
    CachedAnswer answer = cached(0);
    byte[] query = clientQuery(WWW, 1, false);
    Message out = new Message(answer.render(query, 12 + WWW.length() + 4, 0, 3600 * SECOND, true));
    for (Record r : out.getSection(Section.ANSWER)) {
      assertEquals(CachedAnswer.STALE_TTL, r.getTTL());
    }
  }

  @Test
  void render_echoesTheClientsSpellingAndAddsOptWhenAsked() throws Exception {
    CachedAnswer answer = cached(0);
    Name mixedCase = Name.fromConstantString("WwW.ExAmPlE.TeSt.");
    byte[] query = clientQuery(mixedCase, 7, true);
    Message out = new Message(answer.render(query, 12 + mixedCase.length() + 4, 1232, 0, false));
    assertEquals("WwW.ExAmPlE.TeSt.", out.getQuestion().getName().toString());
    assertNotNull(out.getOPT());
    assertEquals(1232, out.getOPT().getPayloadSize());
  }

  @Test
  void of_negativeAnswer_livesForTheSoaMinimum() throws Exception {
    Message nx = new Message();
    nx.getHeader().setRcode(Rcode.NXDOMAIN);
    Name zone = Name.fromConstantString("example.test.");
    nx.addRecord(
        new SOARecord(zone, DClass.IN, 900, zone, zone, 1, 3600, 600, 86400, 120), Section.AUTHORITY);
    CachedAnswer answer = CachedAnswer.of(Record.newRecord(WWW, Type.A, DClass.IN), nx, "u", 0);
    assertTrue(answer.isFresh(119 * SECOND));
    assertFalse(answer.isFresh(120 * SECOND));
    assertEquals(Rcode.NXDOMAIN, answer.rcode());
  }

  @Test
  void of_collectsChainAndAddresses() throws Exception {
    CachedAnswer answer = cached(0);
    assertEquals(List.of("host.example.test"), answer.chainNames());
    assertEquals(List.of(InetAddress.getByName("192.0.2.1")), answer.addresses());
    assertEquals(List.of("CNAME host.example.test.", "A 192.0.2.1"), answer.answerText());
  }

  @Test
  void render_ttlAboveOneDay_isCappedAndCountedDownFromTheCap() throws Exception {
    Message m = new Message();
    m.addRecord(new ARecord(WWW, DClass.IN, 7 * 86_400, InetAddress.getByName("192.0.2.1")), Section.ANSWER);
    m.addRecord(new ARecord(WWW, DClass.IN, 100, InetAddress.getByName("192.0.2.2")), Section.ANSWER);
    CachedAnswer answer = CachedAnswer.of(Record.newRecord(WWW, Type.A, DClass.IN), m, "192.0.2.53:53", 0);
    byte[] query = clientQuery(WWW, 7, true);
    List<Record> records =
        new Message(answer.render(query, 12 + WWW.length() + 4, 1232, 10 * SECOND, false))
            .getSection(Section.ANSWER);
    assertEquals(CachedAnswer.MAX_TTL - 10, records.get(0).getTTL());
    assertEquals(90, records.get(1).getTTL());
  }
}
