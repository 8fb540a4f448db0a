package dev.allowdns.udp;

/** Recognises the first datagram of a QUIC connection by its long header. */
final class Quic {
  /** RFC 9000 §15: QUIC version 1. */
  static final int VERSION_1 = 0x00000001;
  /** RFC 9369 §3.1: QUIC version 2. */
  static final int VERSION_2 = 0x6b3343cf;

  private Quic() {}

  /**
   * Returns whether {@code head} starts with a QUIC v1 or v2 long header: the header form and
   * fixed bits set (RFC 9000 §17.2) and one of those versions in the version field.
   */
  static boolean isLongHeader(byte[] head) {
    if (head.length < 7) { // first byte, version, destination connection ID length, source one
      return false;
    }
    if ((head[0] & 0xc0) != 0xc0) {
      return false;
    }
    int version =
        (head[1] & 0xff) << 24 | (head[2] & 0xff) << 16 | (head[3] & 0xff) << 8 | (head[4] & 0xff);
    return version == VERSION_1 || version == VERSION_2;
  }
}
