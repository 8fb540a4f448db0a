package dev.allowdns.fleet;

import java.net.InetAddress;
import java.util.List;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIGRecord;

/** Decides whether a NOTIFY comes from a feed's primary (RFC 1996 §3.10), and answers it (§4.7). */
final class NotifyResponder {
  private NotifyResponder() {}

  /** The feed a NOTIFY is for, or {@code null} with the metric-safe reason it is ignored. */
  record Verdict(Feed feed, String reason) {}

  static Verdict check(List<Feed> feeds, Message notify, byte[] wire, InetAddress sender) {
    Record question = notify.getQuestion();
    if (question == null) {
      return new Verdict(null, "no_question");
    }
    for (Feed feed : feeds) {
      if (!feed.origin.equals(question.getName())) {
        continue;
      }
      if (!feed.source.primary().address().equals(sender)) {
        return new Verdict(null, "stranger");
      }
      if (feed.key != null) {
        TSIGRecord signature = notify.getTSIG();
        if (signature == null || feed.key.verify(notify, wire, null) != Rcode.NOERROR) {
          return new Verdict(null, "bad_tsig");
        }
      }
      return new Verdict(feed, null);
    }
    return new Verdict(null, "unknown_zone");
  }

  /** Returns the acknowledgement: the NOTIFY's header and question, QR and AA set, signed alike. */
  static byte[] acknowledge(Message notify, Feed feed) {
    Message reply = new Message(notify.getHeader().getID());
    reply.getHeader().setOpcode(Opcode.NOTIFY);
    reply.getHeader().setFlag(Flags.QR);
    reply.getHeader().setFlag(Flags.AA);
    reply.addRecord(notify.getQuestion(), Section.QUESTION);
    if (feed.key != null) {
      reply.setTSIG(feed.key, Rcode.NOERROR, notify.getTSIG());
    }
    return reply.toWire(65_535);
  }
}
