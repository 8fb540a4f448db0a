package dev.allowdns.dns;

import java.io.IOException;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedErrorCodeOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.HINFORecord;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;

/** Builds the responses allowdns makes up itself: refusals, errors and policy blocks. */
final class Responses {
  /** The negative TTL of a blocked name: short, so a reload that allows it takes effect soon. */
  static final long BLOCKED_TTL = 10;

  private static final Name SOA_HOST = Name.fromConstantString("allowdns.");
  private static final Name SOA_ADMIN = Name.fromConstantString("blocked.allowdns.");
  private static final int HEADER_LENGTH = 12;

  private Responses() {}

  /**
   * Returns FORMERR for a query whose header parsed but whose body did not (RFC 1035 §4.1.1):
   * the header alone, echoing ID, opcode and RD.
   */
  static byte[] formerrHeaderOnly(byte[] query) {
    byte[] out = new byte[HEADER_LENGTH];
    out[0] = query[0];
    out[1] = query[1];
    out[2] = (byte) (0x80 | (query[2] & 0x79)); // QR, the opcode bits and RD
    out[3] = (byte) Rcode.FORMERR;
    return out;
  }

  /**
   * Returns an error response to {@code query}.
   *
   * @param ede an Extended DNS Error (RFC 8914) to explain it, or {@code null}
   */
  static byte[] error(Message query, int rcode, int ednsPayload, ExtendedErrorCodeOption ede, int max) {
    Message reply = replyTo(query, rcode);
    addOpt(reply, ednsPayload, ede);
    return reply.toWire(max);
  }

  /**
   * Returns NXDOMAIN for a name the policy blocks, with an SOA for negative caching (RFC 2308 §3)
   * and EDE 15 Blocked (RFC 8914 §4.16) saying why.
   */
  static byte[] blocked(Message query, String why, long generation, int ednsPayload, int max) {
    Message reply = replyTo(query, Rcode.NXDOMAIN);
    Name owner = query.getQuestion().getName();
    reply.addRecord(
        new SOARecord(
            owner, DClass.IN, BLOCKED_TTL, SOA_HOST, SOA_ADMIN, generation, 3600, 600, 86400, BLOCKED_TTL),
        Section.AUTHORITY);
    addOpt(reply, ednsPayload, new ExtendedErrorCodeOption(ExtendedErrorCodeOption.BLOCKED, why));
    return reply.toWire(max);
  }

  /** RFC 8482 §4.2: answers ANY with one synthesized HINFO record instead of every RRset. */
  static byte[] minimalAny(Message query, int ednsPayload, int max) {
    Message reply = replyTo(query, Rcode.NOERROR);
    reply.addRecord(
        new HINFORecord(query.getQuestion().getName(), DClass.IN, 3600, "RFC8482", ""),
        Section.ANSWER);
    addOpt(reply, ednsPayload, null);
    return reply.toWire(max);
  }

  /**
   * Returns {@code wire} cut down to {@code max} bytes at an RRset boundary with TC set (RFC 2181
   * §9), for a client that can take no more over UDP; it will retry over TCP.
   */
  static byte[] truncate(byte[] wire, int max) {
    try {
      return new Message(wire).toWire(max);
    } catch (IOException e) {
      throw new IllegalStateException("a response allowdns built does not parse", e);
    }
  }

  private static Message replyTo(Message query, int rcode) {
    Header asked = query.getHeader();
    Message reply = new Message(asked.getID());
    Header header = reply.getHeader();
    header.setOpcode(asked.getOpcode());
    header.setFlag(Flags.QR);
    header.setFlag(Flags.RA);
    if (asked.getFlag(Flags.RD)) {
      header.setFlag(Flags.RD);
    }
    if (asked.getFlag(Flags.CD)) {
      header.setFlag(Flags.CD);
    }
    header.setRcode(rcode);
    Record question = query.getQuestion();
    if (question != null && query.getSection(Section.QUESTION).size() == 1) {
      reply.addRecord(question, Section.QUESTION);
    }
    return reply;
  }

  private static void addOpt(Message reply, int ednsPayload, ExtendedErrorCodeOption ede) {
    if (ednsPayload <= 0) {
      return; // RFC 6891 §7: no OPT in the response to a query without one
    }
    OPTRecord opt =
        ede == null
            ? new OPTRecord(ednsPayload, 0, 0, 0)
            : new OPTRecord(ednsPayload, 0, 0, 0, ede);
    reply.addRecord(opt, Section.ADDITIONAL);
  }
}
