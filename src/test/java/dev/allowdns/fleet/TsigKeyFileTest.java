package dev.allowdns.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;
import org.xbill.DNS.TSIG;

class TsigKeyFileTest {
  private static final String SECRET = "jetpfpI8Vv9+Ad309kBwtpACvImTVmOazS6CijPKqMU=";

  @Test
  void parse_bindKeyClauseAsTsigKeygenWritesIt() {
    TSIG key = TsigKeyFile.parse("key \"xfr-key\" {\n\talgorithm hmac-sha256;\n\tsecret \"" + SECRET + "\";\n};\n");
    assertSignsAs(new TSIG(TSIG.HMAC_SHA256, Name.fromConstantString("xfr-key."), SECRET), key);
  }

  @Test
  void parse_knotKeymgrOutput() {
    TSIG key =
        TsigKeyFile.parse(
            "# hmac-sha512:fleet:" + SECRET + "\nkey:\n  - id: fleet\n    algorithm: hmac-sha512\n    secret: " + SECRET + "\n");
    assertSignsAs(new TSIG(TSIG.HMAC_SHA512, Name.fromConstantString("fleet."), SECRET), key);
  }

  /** A message signed with the parsed key verifies with the expected one: same name, algorithm, secret. */
  private static void assertSignsAs(TSIG expected, TSIG parsed) {
    Message message = Message.newQuery(Record.newRecord(Name.fromConstantString("policy.test."), Type.SOA, DClass.IN));
    message.setTSIG(parsed);
    byte[] wire = message.toWire(512);
    try {
      Message received = new Message(wire);
      assertEquals(Rcode.NOERROR, expected.verify(received, wire, null));
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void parse_badFiles_sayWhatIsWrong() {
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> TsigKeyFile.parse("key \"k\" { algorithm hmac-sha256; };"))
            .getMessage()
            .contains("secret"));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> TsigKeyFile.parse("key \"k\" { algorithm rot13; secret \"" + SECRET + "\"; };"))
            .getMessage()
            .contains("rot13"));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> TsigKeyFile.parse("key \"k\" { algorithm hmac-sha256; secret \"%%%\"; };"))
            .getMessage()
            .contains("base64"));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> TsigKeyFile.parse("hello"))
            .getMessage()
            .contains("expected a BIND key clause"));
  }
}
