package dev.allowdns.dns;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
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
import org.xbill.DNS.Type;

/** Builds the responses allowdns makes up itself: refusals, errors and policy blocks. */
final class Responses {
  /** The negative TTL of a blocked name: short, so a reload that allows it takes effect soon. */
  static final long BLOCKED_TTL = 10;

  private static final Name SOA_HOST = Name.fromConstantString("allowdns.");
  private static final Name SOA_ADMIN = Name.fromConstantString("blocked.allowdns.");
  private static final int HEADER_LENGTH = 12;
  /** The SOA's MNAME and RNAME, uncompressed: {@code allowdns.} and {@code blocked.allowdns.}. */
  private static final byte[] SOA_NAMES = soaNames();

  private Responses() {}

  private static byte[] soaNames() {
    byte[] host = SOA_HOST.toWireCanonical();
    byte[] admin = SOA_ADMIN.toWireCanonical();
    byte[] both = new byte[host.length + admin.length];
    System.arraycopy(host, 0, both, 0, host.length);
    System.arraycopy(admin, 0, both, host.length, admin.length);
    return both;
  }

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
   *
   * <p>Blocked names are the resolver's busiest answer after cache hits (and what a flood of random
   * names gets), so the wire is written directly: the client's question as it sent it, the SOA
   * owner a pointer to it.
   *
   * @param wire the query as received; {@code questionEnd} is just past its (uncompressed) question
   * @return the response, or {@code null} when it must be truncated to fit {@code max} or the
   *     question is unusual: then {@link #blockedThroughDnsjava} builds it
   */
  static byte[] blocked(byte[] wire, int questionEnd, String why, long generation, int ednsPayload, int max) {
    byte[] text = why.getBytes(StandardCharsets.UTF_8);
    int soaRdata = SOA_NAMES.length + 20;
    int optLength = ednsPayload > 0 ? 11 + 4 + 2 + text.length : 0;
    int size = questionEnd + 12 + soaRdata + optLength;
    if (size > max || !plainQuestion(wire, questionEnd)) {
      return null;
    }
    ByteBuffer out = ByteBuffer.allocate(size);
    headerAndQuestion(out, wire, questionEnd, Rcode.NXDOMAIN, 1, optLength > 0);
    out.putShort((short) 0xC00C); // the SOA's owner: a pointer to the question's name
    out.putShort((short) Type.SOA).putShort((short) DClass.IN).putInt((int) BLOCKED_TTL);
    out.putShort((short) soaRdata).put(SOA_NAMES);
    out.putInt((int) generation).putInt(3600).putInt(600).putInt(86400).putInt((int) BLOCKED_TTL);
    if (optLength > 0) {
      extendedError(out, ednsPayload, ExtendedErrorCodeOption.BLOCKED, text);
    }
    return out.array();
  }

  /**
   * Returns REFUSED with EDE 18 Prohibited saying why, for a sandbox over its {@code dns_qps}: what
   * a flood gets, so the wire is written directly like {@link #blocked}'s.
   *
   * @return the response, or {@code null} when the question is unusual or it does not fit
   *     {@code max}: then {@link #error} builds it
   */
  static byte[] refused(byte[] wire, int questionEnd, String why, int ednsPayload, int max) {
    byte[] text = why.getBytes(StandardCharsets.UTF_8);
    int optLength = ednsPayload > 0 ? 11 + 4 + 2 + text.length : 0;
    int size = questionEnd + optLength;
    if (size > max || !plainQuestion(wire, questionEnd)) {
      return null;
    }
    ByteBuffer out = ByteBuffer.allocate(size);
    headerAndQuestion(out, wire, questionEnd, Rcode.REFUSED, 0, optLength > 0);
    if (optLength > 0) {
      extendedError(out, ednsPayload, ExtendedErrorCodeOption.PROHIBITED, text);
    }
    return out.array();
  }

  /** One question of class and type only, uncompressed, that ends where the caller says. */
  private static boolean plainQuestion(byte[] wire, int questionEnd) {
    return questionEnd > 16 && questionEnd <= wire.length && wire[questionEnd - 5] == 0;
  }

  /** The header of a response to {@code wire} with {@code rcode}, then the client's question. */
  private static void headerAndQuestion(
      ByteBuffer out, byte[] wire, int questionEnd, int rcode, int authority, boolean opt) {
    out.put(wire[0]).put(wire[1]);
    out.put((byte) (0x80 | (wire[2] & 0x79))); // QR, the opcode and RD echoed (RFC 1035 §4.1.1)
    out.put((byte) (0x80 | (wire[3] & 0x10) | rcode)); // RA, CD echoed (RFC 4035 §3.2.2)
    out.putShort((short) 1).putShort((short) 0).putShort((short) authority).putShort((short) (opt ? 1 : 0));
    out.put(wire, HEADER_LENGTH, questionEnd - HEADER_LENGTH);
  }

  /** An OPT record advertising {@code payload} with one Extended DNS Error (RFC 8914). */
  private static void extendedError(ByteBuffer out, int payload, int code, byte[] text) {
    out.put((byte) 0).putShort((short) Type.OPT).putShort((short) payload).putInt(0);
    out.putShort((short) (4 + 2 + text.length));
    out.putShort((short) EDNSOption.Code.EDNS_EXTENDED_ERROR).putShort((short) (2 + text.length));
    out.putShort((short) code).put(text);
  }

  /** The same answer built with dnsjava, which truncates it to {@code max} when needed. */
  static byte[] blockedThroughDnsjava(Message query, String why, long generation, int ednsPayload, int max) {
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

  /**
   * Returns the answer to {@code query} for a synthesize zone: {@code answer} (an A or AAAA made
   * up by the resolver), or no record at all (NODATA) when {@code answer} is {@code null}.
   */
  static byte[] synthesized(Message query, Record answer, int ednsPayload, int max) {
    Message reply = replyTo(query, Rcode.NOERROR);
    if (answer != null) {
      reply.addRecord(answer, Section.ANSWER);
    }
    addOpt(reply, ednsPayload, null);
    return reply.toWire(max);
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
