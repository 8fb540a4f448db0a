package dev.allowdns.dns;

import java.nio.charset.StandardCharsets;

/**
 * The parts of an ordinary query the pipeline needs, read straight from the wire: one question
 * and at most an OPT record. Cache hits and blocked names never build a dnsjava message; anything
 * unusual (another opcode, compression in the question, records in other sections, odd bytes in
 * a label) is left to dnsjava's full parser, which also words the errors. Immutable.
 *
 * @param name the question's name as rules match it: lower case, no trailing dot, {@code ""} for
 *     the root
 * @param questionEnd the offset just past the question (RFC 1035 §4.1.2)
 * @param ednsVersion the OPT record's version, or -1 without one (RFC 6891 §6.1.3)
 * @param ednsPayload the client's advertised UDP payload size, or 0 without an OPT record
 */
record WireQuestion(String name, int type, int dclass, int questionEnd, int ednsVersion, int ednsPayload) {
  private static final int HEADER_LENGTH = 12;
  private static final int MAX_NAME_LENGTH = 255; // RFC 1035 §3.1
  private static final int TYPE_OPT = 41;

  /** Returns the question of {@code wire}, or {@code null} when it is not an ordinary query. */
  static WireQuestion parse(byte[] wire) {
    if (wire.length < HEADER_LENGTH + 5) {
      return null;
    }
    boolean plainQuery = (wire[2] & 0xf8) == 0; // QR clear, opcode QUERY (RFC 1035 §4.1.1)
    if (!plainQuery
        || readShort(wire, 4) != 1
        || readShort(wire, 6) != 0
        || readShort(wire, 8) != 0
        || readShort(wire, 10) > 1) {
      return null;
    }
    String name = ruleName(wire, HEADER_LENGTH);
    if (name == null) {
      return null;
    }
    int at = HEADER_LENGTH + (name.isEmpty() ? 1 : name.length() + 2); // no escapes: one byte each
    if (at + 4 > wire.length) {
      return null;
    }
    int type = readShort(wire, at);
    int dclass = readShort(wire, at + 2);
    int questionEnd = at + 4;
    if (readShort(wire, 10) == 0) {
      return questionEnd == wire.length ? new WireQuestion(name, type, dclass, questionEnd, -1, 0) : null;
    }
    return withOpt(wire, name, type, dclass, questionEnd);
  }

  /**
   * Returns the uncompressed name at {@code start} as rules match it: lower case, no trailing dot,
   * {@code ""} for the root; {@code null} when it is cut off, compressed, longer than 255 bytes, or
   * has a byte that presentation would escape ({@code \DDD}, dnsjava's job).
   */
  static String ruleName(byte[] wire, int start) {
    byte[] text = new byte[Math.max(0, Math.min(MAX_NAME_LENGTH, wire.length - start))];
    int length = 0;
    int at = start;
    while (true) {
      if (at >= wire.length) {
        return null;
      }
      int label = wire[at++] & 0xff;
      if (label == 0) {
        return new String(text, 0, length, StandardCharsets.ISO_8859_1); // ASCII, checked below
      }
      if (label > 63 || at + label > wire.length || at + label - start >= MAX_NAME_LENGTH) {
        return null; // a compression pointer, a reserved label type, or too long
      }
      if (length > 0) {
        text[length++] = '.';
      }
      for (int end = at + label; at < end; at++) {
        int c = wire[at] & 0xff;
        if (c <= ' ' || c >= 0x7f || c == '.' || c == '\\') {
          return null;
        }
        text[length++] = (byte) (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
      }
    }
  }

  /** Reads the one additional record, which must be a well-formed OPT (RFC 6891 §6.1.2). */
  private static WireQuestion withOpt(byte[] wire, String name, int type, int dclass, int at) {
    int questionEnd = at;
    if (at + 11 > wire.length || wire[at] != 0 || readShort(wire, at + 1) != TYPE_OPT) {
      return null;
    }
    int payload = readShort(wire, at + 3);
    int version = wire[at + 6] & 0xff;
    int rdataEnd = at + 11 + readShort(wire, at + 9);
    if (rdataEnd != wire.length) {
      return null;
    }
    for (at += 11; at < rdataEnd; ) {
      if (at + 4 > rdataEnd) {
        return null;
      }
      at += 4 + readShort(wire, at + 2); // option code, length, data
    }
    return at == rdataEnd ? new WireQuestion(name, type, dclass, questionEnd, version, payload) : null;
  }

  private static int readShort(byte[] wire, int at) {
    return (wire[at] & 0xff) << 8 | (wire[at + 1] & 0xff);
  }
}
