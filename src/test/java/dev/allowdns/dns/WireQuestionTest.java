package dev.allowdns.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CookieOption;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

class WireQuestionTest {

  private static Message query(String name, int type) throws Exception {
    return Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
  }

  @ParameterizedTest
  @CsvSource({
    "example.com., example.com",
    "Api.GitHub.COM., api.github.com",
    "_http._tcp.x-y.test., _http._tcp.x-y.test",
    "., ''",
  })
  void parse_plainQuery_readsNameAsRulesSeeItAndTheQuestionEnd(String name, String expected)
      throws Exception {
    byte[] wire = query(name, Type.AAAA).toWire();

    WireQuestion q = WireQuestion.parse(wire);

    assertNotNull(q);
    assertEquals(expected, q.name());
    assertEquals(Type.AAAA, q.type());
    assertEquals(DClass.IN, q.dclass());
    assertEquals(wire.length, q.questionEnd());
    assertEquals(-1, q.ednsVersion());
    assertEquals(QueryPipeline.normalize(Name.fromString(name)), q.name()); // same as the slow path
  }

  @Test
  void parse_optWithCookie_readsVersionAndPayload() throws Exception {
    Message m = query("a.test.", Type.A);
    m.addRecord(
        new OPTRecord(4096, 0, 0, Flags.DO, List.of(new CookieOption(new byte[8]))), Section.ADDITIONAL);
    byte[] wire = m.toWire();

    WireQuestion q = WireQuestion.parse(wire);

    assertNotNull(q);
    assertEquals(0, q.ednsVersion());
    assertEquals(4096, q.ednsPayload());
    assertEquals(12 + Name.fromString("a.test.").length() + 4, q.questionEnd());
  }

  @Test
  void parse_ednsVersionOne_isReadSoThePipelineAnswersBadvers() throws Exception {
    Message m = query("a.test.", Type.A);
    m.addRecord(new OPTRecord(1232, 0, 1), Section.ADDITIONAL);

    assertEquals(1, WireQuestion.parse(m.toWire()).ednsVersion());
  }

  @Test
  void parse_unusualQueries_areLeftToDnsjava() throws Exception {
    Message notify = query("a.test.", Type.SOA);
    notify.getHeader().setOpcode(Opcode.NOTIFY);
    Message response = query("a.test.", Type.A);
    response.getHeader().setFlag(Flags.QR);
    Message withAnswer = query("a.test.", Type.A);
    withAnswer.addRecord(
        new ARecord(Name.fromString("a.test."), DClass.IN, 60, java.net.InetAddress.getByName("192.0.2.1")),
        Section.ANSWER);
    Message escaped = query("a\\032b.test.", Type.A);
    Message notOpt = query("a.test.", Type.A);
    notOpt.addRecord(
        new ARecord(Name.fromString("a.test."), DClass.IN, 60, java.net.InetAddress.getByName("192.0.2.1")),
        Section.ADDITIONAL);
    byte[] plain = query("a.test.", Type.A).toWire();
    byte[] trailing = Arrays.copyOf(plain, plain.length + 3);

    for (byte[] wire :
        List.of(
            notify.toWire(),
            response.toWire(),
            withAnswer.toWire(),
            escaped.toWire(),
            notOpt.toWire(),
            trailing,
            Arrays.copyOf(plain, plain.length - 1),
            Arrays.copyOf(plain, 12))) {
      assertNull(WireQuestion.parse(wire), () -> Arrays.toString(wire));
    }
  }

  @Test
  void parse_compressionPointerInTheQuestion_isLeftToDnsjava() throws Exception {
    byte[] wire = query("a.test.", Type.A).toWire();
    wire[12] = (byte) 0xc0; // a pointer where the first label starts
    wire[13] = 12;

    assertNull(WireQuestion.parse(wire));
  }

  @Test
  void parse_optOptionRunningPastTheRecord_isLeftToDnsjava() throws Exception {
    byte[] wire = queryWithCookie("a.test.", Type.A);
    wire[wire.length - 9] = 40; // the cookie option's length now overruns the RDATA

    assertNull(WireQuestion.parse(wire));
  }

  @Test
  void parse_everyPrefixOfAQuery_neverThrows() throws Exception {
    byte[] wire = queryWithCookie("deep.name.with.labels.test.", Type.TXT);
    for (int length = 0; length < wire.length; length++) {
      assertNull(WireQuestion.parse(Arrays.copyOf(wire, length)), "prefix of " + length + " bytes");
    }
    assertNotNull(WireQuestion.parse(wire));
  }

  /** Returns a query for {@code name} with an EDNS OPT record holding an 8-byte client cookie. */
  private static byte[] queryWithCookie(String name, int type) throws Exception {
    Message m = query(name, type);
    m.addRecord(new OPTRecord(1232, 0, 0, 0, List.of(new CookieOption(new byte[8]))), Section.ADDITIONAL);
    return m.toWire();
  }
}
