package dev.allowdns.dns;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

class UpstreamGroupTest {
  private static final Name NAME = Name.fromConstantString("a.test.");

  private static Message reply(Message query, int id, Name name, int type) {
    Message reply = new Message(id);
    reply.getHeader().setFlag(Flags.QR);
    reply.addRecord(Record.newRecord(name, type, DClass.IN), Section.QUESTION);
    return reply;
  }

  @Test
  void answers_matchingIdAndQuestion_inAnyCase() {
    Message query = Message.newQuery(Record.newRecord(NAME, Type.A, DClass.IN));
    int id = query.getHeader().getID();
    assertTrue(UpstreamGroup.answers(query, reply(query, id, Name.fromConstantString("A.TeSt."), Type.A)));
  }

  @Test
  void answers_wrongIdOrQuestionOrNotAReply_isRejected() {
    Message query = Message.newQuery(Record.newRecord(NAME, Type.A, DClass.IN));
    int id = query.getHeader().getID();
    assertFalse(UpstreamGroup.answers(query, reply(query, (id + 1) & 0xffff, NAME, Type.A)));
    assertFalse(UpstreamGroup.answers(query, reply(query, id, Name.fromConstantString("b.test."), Type.A)));
    assertFalse(UpstreamGroup.answers(query, reply(query, id, NAME, Type.AAAA)));
    Message notReply = reply(query, id, NAME, Type.A);
    notReply.getHeader().unsetFlag(Flags.QR);
    assertFalse(UpstreamGroup.answers(query, notReply));
    Message update = reply(query, id, NAME, Type.A);
    update.getHeader().setOpcode(org.xbill.DNS.Opcode.UPDATE); // may carry records without data
    assertFalse(UpstreamGroup.answers(query, update));
  }
}
