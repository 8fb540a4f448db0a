package dev.allowdns.dns;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DNAMERecord;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SIGRecord;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;
import org.xbill.DNS.utils.base16;

/**
 * An upstream answer kept as a ready-to-send wire template: a cache hit patches the ID, flags,
 * question case and TTLs in a copy instead of building a message. Immutable, but for one memo
 * (the sandbox that last got it).
 */
final class CachedAnswer {
  /** RFC 8767 §4: stale answers carry a TTL of 30 seconds. */
  static final int STALE_TTL = 30;
  /** Upper bound on any TTL kept (one day), as resolvers commonly cap. */
  static final long MAX_TTL = 86_400;
  /** RFC 2308 §5: negative answers are cached for at most a few hours; one hour here. */
  static final long MAX_NEGATIVE_TTL = 3_600;

  private static final int HEADER_LENGTH = 12;

  /** The response with ID 0, no OPT, and every TTL as received but at most {@link #MAX_TTL}. */
  private final byte[] wire;
  private final int questionEnd;
  private final long storedAtNanos;
  private final long lifetimeSeconds;
  private final int rcode;
  private final List<String> chainNames;
  private final List<String> answerText;
  private final List<InetAddress> addresses;
  private final String upstream;
  /**
   * The sandbox this answer was last given to: a repeat needs no first-seen lookup. Racy on
   * purpose: a lost update costs one extra lookup, and the write is to a rarely changing field.
   */
  private Object lastGivenTo;

  private CachedAnswer(
      byte[] wire,
      long storedAtNanos,
      long lifetimeSeconds,
      int rcode,
      List<String> chainNames,
      List<String> answerText,
      List<InetAddress> addresses,
      String upstream) {
    this.wire = wire;
    this.questionEnd = skipName(wire, HEADER_LENGTH) + 4;
    this.storedAtNanos = storedAtNanos;
    this.lifetimeSeconds = lifetimeSeconds;
    this.rcode = rcode;
    this.chainNames = chainNames;
    this.answerText = answerText;
    this.addresses = addresses;
    this.upstream = upstream;
  }

  /**
   * Makes a template of a (guarded) upstream answer to {@code question}.
   *
   * @param answer the upstream reply after filtering; its header and OPT are not used
   * @param upstream the server that answered, for the query log
   */
  static CachedAnswer of(Record question, Message answer, String upstream, long nowNanos) {
    Message template = new Message(0);
    template.getHeader().setFlag(Flags.QR);
    template.getHeader().setFlag(Flags.RA);
    template.getHeader().setRcode(answer.getRcode());
    template.addRecord(question, Section.QUESTION);
    List<String> chain = new ArrayList<>();
    List<String> answerText = new ArrayList<>();
    List<InetAddress> addresses = new ArrayList<>();
    long minAnswerTtl = Long.MAX_VALUE;
    for (Record r : answer.getSection(Section.ANSWER)) {
      template.addRecord(r, Section.ANSWER);
      minAnswerTtl = Math.min(minAnswerTtl, r.getTTL());
      answerText.add(text(r));
      if (r instanceof CNAMERecord cname) {
        chain.add(QueryPipeline.normalize(cname.getTarget()));
      } else if (r instanceof DNAMERecord dname) {
        chain.add(QueryPipeline.normalize(dname.getTarget()));
      } else if (r instanceof ARecord a) {
        addresses.add(a.getAddress());
      } else if (r instanceof AAAARecord aaaa) {
        addresses.add(aaaa.getAddress());
      }
    }
    long negativeTtl = -1;
    for (Record r : answer.getSection(Section.AUTHORITY)) {
      template.addRecord(r, Section.AUTHORITY);
      if (r instanceof SOARecord soa) {
        negativeTtl = Math.min(soa.getTTL(), soa.getMinimum()); // RFC 2308 §5
      }
    }
    for (Record r : answer.getSection(Section.ADDITIONAL)) {
      if (!ofTheExchange(r)) {
        template.addRecord(r, Section.ADDITIONAL);
      }
    }
    long lifetime;
    if (minAnswerTtl != Long.MAX_VALUE && answer.getRcode() == Rcode.NOERROR) {
      lifetime = Math.min(minAnswerTtl, MAX_TTL);
    } else if (negativeTtl >= 0) {
      lifetime = Math.min(negativeTtl, MAX_NEGATIVE_TTL);
    } else {
      lifetime = 0; // RFC 2308 §5: a negative answer without SOA is not cached
    }
    byte[] wire = template.toWire();
    for (int at : ttlOffsetsOf(wire)) {
      writeInt(wire, at, Math.min(readUnsignedInt(wire, at), MAX_TTL));
    }
    return new CachedAnswer(
        wire,
        nowNanos,
        lifetime,
        answer.getRcode(),
        List.copyOf(chain),
        List.copyOf(answerText),
        List.copyOf(addresses),
        upstream);
  }

  /** Returns whether the answer's TTL has not run out. */
  boolean isFresh(long nowNanos) {
    return elapsedSeconds(nowNanos) < lifetimeSeconds;
  }

  /** Returns whether an expired answer is still within the stale window (RFC 8767 §4). */
  boolean isServableStale(long nowNanos, long staleMaxNanos) {
    long expiredAt = storedAtNanos + lifetimeSeconds * 1_000_000_000L;
    return nowNanos - expiredAt < staleMaxNanos;
  }

  int rcode() {
    return rcode;
  }

  /**
   * Returns the targets of the CNAME/DNAME records as normalised names: deny rules must see them
   * too, and the ledger keeps them.
   */
  List<String> chainNames() {
    return chainNames;
  }

  /** Returns how many seconds of the answer's TTL are left (0 once expired). */
  long remainingSeconds(long nowNanos) {
    return Math.max(0, lifetimeSeconds - elapsedSeconds(nowNanos));
  }

  List<String> answerText() {
    return answerText;
  }

  /** Returns the A and AAAA addresses of the answer. */
  List<InetAddress> addresses() {
    return addresses;
  }

  String upstream() {
    return upstream;
  }

  /** Returns whether {@code sandbox} was the last to get this answer, and notes it as such. */
  boolean givenAgainTo(Object sandbox) {
    if (lastGivenTo == sandbox) {
      return true;
    }
    lastGivenTo = sandbox;
    return false;
  }

  /**
   * Whether an additional record belongs to the upstream exchange rather than to the answer: OPT,
   * a TSIG, a SIG(0). Each is rebuilt or meaningless for our client, and a copied TSIG or SIG(0)
   * ahead of our own OPT made an answer the client cannot parse ("TSIG is not the last record").
   */
  private static boolean ofTheExchange(Record r) {
    return r.getType() == Type.OPT
        || r.getType() == Type.TSIG
        || r instanceof SIGRecord sig && sig.getTypeCovered() == 0;
  }

  /**
   * A record as the query log shows it: its type and data in dnsjava's text form, or RFC 3597's
   * generic form where dnsjava cannot render the data (a TSIG or TKEY with an undefined error code
   * throws), so an odd upstream record never costs the answer.
   */
  static String text(Record r) {
    String type = Type.string(r.getType());
    try {
      return type + " " + r.rdataToString();
    } catch (RuntimeException unrenderable) {
      byte[] rdata = r.rdataToWireCanonical();
      return type + " \\# " + rdata.length + (rdata.length == 0 ? "" : " " + base16.toString(rdata));
    }
  }

  /**
   * Renders the answer for one client: its ID, RD and CD flags, its spelling of the question
   * (RFC 7766's 0x20-style case is echoed back), TTLs counted down (or {@link #STALE_TTL}), and an
   * OPT record when the client sent one.
   *
   * @param query the client's query as received
   * @param clientQuestionEnd offset just past the client's question in {@code query}
   * @param ednsPayload the payload size to advertise, or 0 for no OPT record
   */
  byte[] render(byte[] query, int clientQuestionEnd, int ednsPayload, long nowNanos, boolean stale) {
    int optLength = ednsPayload > 0 ? 11 : 0;
    byte[] out = Arrays.copyOf(wire, wire.length + optLength);
    out[0] = query[0];
    out[1] = query[1];
    // QR, opcode QUERY, RD echoed; RA, CD echoed, rcode (RFC 1035 §4.1.1, RFC 4035 §3.2.2).
    out[2] = (byte) (0x80 | (query[2] & 0x01));
    out[3] = (byte) (0x80 | (query[3] & 0x10) | (rcode & 0x0f));
    if (clientQuestionEnd == questionEnd) {
      System.arraycopy(query, HEADER_LENGTH, out, HEADER_LENGTH, questionEnd - HEADER_LENGTH);
    }
    // The TTL offsets are found again rather than kept: the walk reads bytes just copied, where
    // arrays of offsets and TTLs would be two more objects to fetch from memory on every hit.
    long elapsed = elapsedSeconds(nowNanos);
    for (int at : ttlOffsetsOf(wire)) {
      long ttl = stale ? STALE_TTL : Math.max(0, readUnsignedInt(wire, at) - elapsed);
      writeInt(out, at, ttl);
    }
    if (optLength > 0) {
      int at = wire.length;
      out[at] = 0; // root owner
      out[at + 1] = 0;
      out[at + 2] = (byte) Type.OPT;
      out[at + 3] = (byte) (ednsPayload >>> 8);
      out[at + 4] = (byte) ednsPayload;
      // extended rcode, version 0, flags and RDLENGTH all zero.
      int additional = ((out[10] & 0xff) << 8 | (out[11] & 0xff)) + 1;
      out[10] = (byte) (additional >>> 8);
      out[11] = (byte) additional;
    }
    return out;
  }

  private long elapsedSeconds(long nowNanos) {
    return Math.max(0, (nowNanos - storedAtNanos) / 1_000_000_000L);
  }

  /** Returns the offset of every resource record's TTL field (RFC 1035 §4.1.3). */
  private static int[] ttlOffsetsOf(byte[] wire) {
    int questions = readUnsignedShort(wire, 4);
    int records =
        readUnsignedShort(wire, 6) + readUnsignedShort(wire, 8) + readUnsignedShort(wire, 10);
    int at = HEADER_LENGTH;
    for (int i = 0; i < questions; i++) {
      at = skipName(wire, at) + 4;
    }
    int[] offsets = new int[records];
    for (int i = 0; i < records; i++) {
      at = skipName(wire, at) + 4; // type, class
      offsets[i] = at;
      at += 4; // ttl
      at += 2 + readUnsignedShort(wire, at);
    }
    return offsets;
  }

  /** Returns the offset just past the name at {@code at}, following no compression pointer. */
  private static int skipName(byte[] wire, int at) {
    while (true) {
      int length = wire[at] & 0xff;
      if (length == 0) {
        return at + 1;
      }
      if ((length & 0xc0) == 0xc0) {
        return at + 2;
      }
      at += 1 + length;
    }
  }

  private static int readUnsignedShort(byte[] wire, int at) {
    return (wire[at] & 0xff) << 8 | (wire[at + 1] & 0xff);
  }

  private static long readUnsignedInt(byte[] wire, int at) {
    return ((long) readUnsignedShort(wire, at) << 16) | readUnsignedShort(wire, at + 2);
  }

  private static void writeInt(byte[] wire, int at, long value) {
    wire[at] = (byte) (value >>> 24);
    wire[at + 1] = (byte) (value >>> 16);
    wire[at + 2] = (byte) (value >>> 8);
    wire[at + 3] = (byte) value;
  }
}
