package dev.allowdns.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedErrorCodeOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** The hand-written blocked answer says exactly what the dnsjava-built one says. */
class ResponsesTest {
  @ParameterizedTest
  @CsvSource({"Evil.Example.COM., true, true", "evil.example.com., false, false", "x.y., true, false"})
  void blocked_wireMatchesTheDnsjavaAnswer(String name, boolean edns, boolean cd) throws Exception {
    byte[] wire = query(name, Type.AAAA, edns, cd);
    Message parsed = new Message(wire);
    int questionEnd = 12 + parsed.getQuestion().getName().length() + 4;
    String why = "allowdns policy 'default': " + name + " is not on the allowlist";
    int payload = edns ? 1232 : 0;

    Message fast = new Message(Responses.blocked(wire, questionEnd, why, 7, payload, 1232));
    Message slow = new Message(Responses.blockedThroughDnsjava(parsed, why, 7, payload, 1232));

    assertEquals(slow.getHeader().toString(), fast.getHeader().toString());
    assertEquals(name, fast.getQuestion().getName().toString()); // the client's case, echoed
    assertEquals(slow.getSection(Section.AUTHORITY), fast.getSection(Section.AUTHORITY));
    if (edns) {
      ExtendedErrorCodeOption ede = (ExtendedErrorCodeOption) fast.getOPT().getOptions().get(0);
      assertEquals(ExtendedErrorCodeOption.BLOCKED, ede.getErrorCode());
      assertEquals(why, ede.getText());
      assertEquals(1232, fast.getOPT().getPayloadSize());
    } else {
      assertNull(fast.getOPT());
    }
  }

  @ParameterizedTest
  @CsvSource({"Evil.Example.COM., true, true", "evil.example.com., false, false"})
  void refused_wireMatchesTheDnsjavaAnswer(String name, boolean edns, boolean cd) throws Exception {
    byte[] wire = query(name, Type.A, edns, cd);
    Message parsed = new Message(wire);
    int questionEnd = 12 + parsed.getQuestion().getName().length() + 4;
    String why = "allowdns: sandbox vm-7 is over dns_qps 200/s";
    int payload = edns ? 1232 : 0;

    Message fast = new Message(Responses.refused(wire, questionEnd, why, payload, 1232));
    Message slow =
        new Message(
            Responses.error(
                parsed, org.xbill.DNS.Rcode.REFUSED, payload,
                new ExtendedErrorCodeOption(ExtendedErrorCodeOption.PROHIBITED, why), 1232));

    assertEquals(slow.getHeader().toString(), fast.getHeader().toString());
    assertEquals(name, fast.getQuestion().getName().toString());
    assertEquals(String.valueOf(slow.getOPT()), String.valueOf(fast.getOPT()));
  }

  private static byte[] query(String name, int type, boolean edns, boolean cd) throws Exception {
    Message query = Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
    if (edns) {
      query.addRecord(new OPTRecord(4096, 0, 0), Section.ADDITIONAL);
    }
    if (cd) {
      query.getHeader().setFlag(Flags.CD);
    }
    return query.toWire();
  }
}
