package dev.allowdns.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.common.net.InetAddresses;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Section;

class RebindingGuardTest {
  @ParameterizedTest
  @CsvSource({
    "10.1.2.3, true", "172.16.0.1, true", "192.168.1.1, true", "127.0.0.1, true",
    "169.254.169.254, true", "0.0.0.0, true", "100.64.0.1, true", "::1, true", "::, true",
    "fe80::1, true", "fd00::1, true", "::ffff:10.0.0.1, true",
    "192.0.2.1, false", "8.8.8.8, false", "100.128.0.1, false", "2001:db8::1, false",
  })
  void isInternal_coversPrivateLoopbackLinkLocalAndUnspecified(String address, boolean internal) {
    assertEquals(internal, RebindingGuard.isInternal(InetAddresses.forString(address)));
  }

  @Test
  void strip_keepsPublicAddressesAndTheChain() throws Exception {
    Name a = Name.fromConstantString("a.test.");
    Name b = Name.fromConstantString("b.test.");
    Message m = new Message();
    m.addRecord(new CNAMERecord(a, DClass.IN, 60, b), Section.ANSWER);
    m.addRecord(new ARecord(b, DClass.IN, 60, InetAddress.getByName("10.0.0.1")), Section.ANSWER);
    m.addRecord(new ARecord(b, DClass.IN, 60, InetAddress.getByName("192.0.2.1")), Section.ANSWER);
    assertEquals(1, RebindingGuard.strip(m));
    assertEquals(2, m.getSection(Section.ANSWER).size());
  }

  @Test
  void strip_everyAddressInternal_emptiesTheAnswer() throws Exception {
    Name a = Name.fromConstantString("a.test.");
    Name b = Name.fromConstantString("b.test.");
    Message m = new Message();
    m.addRecord(new CNAMERecord(a, DClass.IN, 60, b), Section.ANSWER);
    m.addRecord(new AAAARecord(b, DClass.IN, 60, InetAddress.getByName("fe80::1")), Section.ANSWER);
    assertEquals(1, RebindingGuard.strip(m));
    assertEquals(0, m.getSection(Section.ANSWER).size());
  }
}
