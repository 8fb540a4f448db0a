package dev.allowdns.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.net.InetAddress;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * An upstream reply from arbitrary bytes, as it goes into the cache: the rebinding guard, the
 * template ({@link CachedAnswer#of}) and its rendering for a client, fresh and stale. Whatever
 * dnsjava accepts from the wire must come out as an answer dnsjava parses, with the client's ID,
 * QR set, every TTL at most a day, and no internal address left in it.
 *
 * <p>Input layout: byte 0 flags (bit 0 keep private addresses, bit 1 render stale, bit 2 the
 * client sent EDNS), byte 1 hours elapsed before rendering, the rest the reply.
 */
class UpstreamReplyFuzzTest {
  private static final long HOUR = 3_600_000_000_000L;
  private static final Name FALLBACK = Name.fromConstantString("allowed.test.");

  @FuzzTest
  void upstreamReply(byte[] input) throws IOException {
    if (input.length < 2) {
      return;
    }
    boolean allowPrivate = (input[0] & 1) != 0;
    boolean stale = (input[0] & 2) != 0;
    boolean edns = (input[0] & 4) != 0;
    long elapsed = (input[1] & 0xff) * HOUR;
    Message reply;
    try {
      reply = new Message(java.util.Arrays.copyOfRange(input, 2, input.length));
    } catch (IOException | RuntimeException notDns) {
      return; // the upstream exchange discards what dnsjava cannot read
    }
    Record question = reply.getQuestion();
    if (question == null) {
      question = Record.newRecord(FALLBACK, Type.A, DClass.IN);
    }
    Message query = Message.newQuery(question);
    query.getHeader().setID(reply.getHeader().getID());
    if (!UpstreamGroup.answers(query, reply) || !UpstreamGroup.usable(reply)) {
      return; // discarded, or another server is asked: the cache never sees it
    }
    if (!allowPrivate) {
      int before = addresses(reply);
      int removed = RebindingGuard.strip(reply);
      assertTrue(removed >= 0 && removed <= before, "removed " + removed + " of " + before);
      assertEquals(0, internalAddresses(reply), "an internal address survived the guard");
    }
    CachedAnswer answer = CachedAnswer.of(question, reply, "192.0.2.53:53", 0);
    if (!allowPrivate) {
      for (InetAddress address : answer.addresses()) {
        assertFalse(RebindingGuard.isInternal(address), "cached an internal address " + address);
      }
    }
    query = Message.newQuery(question);
    if (edns) {
      query.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
    }
    byte[] queryWire = query.toWire();
    int questionEnd = 12 + question.getName().length() + 4;
    byte[] out = answer.render(queryWire, questionEnd, edns ? 1232 : 0, elapsed, stale);
    Message rendered = new Message(out);
    assertTrue(rendered.getHeader().getFlag(Flags.QR), "not a response");
    assertEquals(query.getHeader().getID(), rendered.getHeader().getID(), "the client's ID");
    for (int section : new int[] {Section.ANSWER, Section.AUTHORITY, Section.ADDITIONAL}) {
      for (Record r : rendered.getSection(section)) {
        if (r.getType() != Type.OPT) {
          assertTrue(
              r.getTTL() <= CachedAnswer.MAX_TTL, () -> "TTL over a day: " + CachedAnswer.text(r));
          if (stale) {
            assertEquals(
                CachedAnswer.STALE_TTL,
                r.getTTL(),
                () -> "a stale answer's TTL: " + CachedAnswer.text(r));
          }
        }
      }
    }
    assertEquals(edns, rendered.getOPT() != null, "an OPT record exactly when the client sent one");
    assertTrue(answer.remainingSeconds(elapsed) >= 0);
  }

  private static int addresses(Message m) {
    int n = 0;
    for (int section : new int[] {Section.ANSWER, Section.ADDITIONAL}) {
      for (Record r : m.getSection(section)) {
        n += r instanceof ARecord || r instanceof AAAARecord ? 1 : 0;
      }
    }
    return n;
  }

  private static int internalAddresses(Message m) {
    int n = 0;
    for (int section : new int[] {Section.ANSWER, Section.ADDITIONAL}) {
      for (Record r : m.getSection(section)) {
        if (r instanceof ARecord a && RebindingGuard.isInternal(a.getAddress())
            || r instanceof AAAARecord aaaa && RebindingGuard.isInternal(aaaa.getAddress())) {
          n++;
        }
      }
    }
    return n;
  }
}
