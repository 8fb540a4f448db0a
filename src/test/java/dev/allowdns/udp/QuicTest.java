package dev.allowdns.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HexFormat;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link Quic#isLongHeader} on first bytes of datagrams. */
class QuicTest {
  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource({
    "c3000000010800,  true",  // Initial, v1 (RFC 9000 §17.2.2)
    "d36b3343cf0800,  true",  // Initial, v2 (RFC 9369 §3.2: its Initial type is 0b01)
    "c3ff00001d0800,  false", // draft 29: not v1 or v2
    "43000000010800,  false", // short header form bit clear
    "83000000010800,  false", // fixed bit clear
    "c300000001,      false", // too short for a long header
    "23000000000000,  false", // NTP client request
  })
  void isLongHeader_byFormBitsAndVersion(String hex, boolean quic) {
    assertEquals(quic, Quic.isLongHeader(HexFormat.of().parseHex(hex)));
  }
}
