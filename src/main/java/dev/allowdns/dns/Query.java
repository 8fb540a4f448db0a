package dev.allowdns.dns;

import dev.allowdns.sandbox.Sandbox;
import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import org.xbill.DNS.DNSInput;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

/** What one query has gathered on its way through the pipeline. Confined to one query. */
final class Query {
  final byte[] wire;
  final InetAddress client;
  final long startNanos;
  final int opcode;
  final int questions;
  final String name;
  final int type;
  final int dclass;
  final int questionEnd;
  final int ednsVersion;
  /** The payload size allowdns advertises back, or 0 for no OPT record. */
  final int ednsPayload;
  final int maxSize;
  /** Parsed only when a rare answer or an upstream query needs it. */
  private Message message;
  Sandbox sandbox;
  long generation;
  Long serial;
  String rule;
  List<String> answers = List.of();
  String upstream;
  boolean cached;
  String wouldBlock;

  Query(WireQuestion question, byte[] wire, InetAddress client, boolean tcp, long startNanos) {
    this.wire = wire;
    this.client = client;
    this.startNanos = startNanos;
    this.opcode = Opcode.QUERY;
    this.questions = 1;
    this.name = question.name();
    this.type = question.type();
    this.dclass = question.dclass();
    this.questionEnd = question.questionEnd();
    this.ednsVersion = question.ednsVersion();
    this.ednsPayload = ednsVersion < 0 ? 0 : QueryPipeline.MAX_UDP_PAYLOAD;
    this.maxSize = maxSize(tcp, ednsVersion >= 0, question.ednsPayload());
  }

  Query(Message message, byte[] wire, InetAddress client, boolean tcp, long startNanos) {
    this.message = message;
    this.wire = wire;
    this.client = client;
    this.startNanos = startNanos;
    this.opcode = message.getHeader().getOpcode();
    this.questions = message.getSection(Section.QUESTION).size();
    Record question = message.getQuestion();
    this.name = question == null ? null : QueryPipeline.normalize(question.getName());
    this.type = question == null ? 0 : question.getType();
    this.dclass = question == null ? 0 : question.getDClass();
    this.questionEnd = question == null ? QueryPipeline.HEADER_LENGTH : plainQuestionEnd(wire, question.getName().length());
    OPTRecord opt = message.getOPT();
    this.ednsVersion = opt == null ? -1 : opt.getVersion();
    this.ednsPayload = opt == null ? 0 : QueryPipeline.MAX_UDP_PAYLOAD;
    this.maxSize = maxSize(tcp, opt != null, opt == null ? 0 : opt.getPayloadSize());
  }

  /**
   * Returns the offset just past the question when its name is written out in full, as a
   * response can echo byte for byte; -1 when it is compressed (a pointer means something else
   * in the response's header; found by QueryPipelineFuzzTest), so the response is built by
   * dnsjava.
   */
  private static int plainQuestionEnd(byte[] wire, int nameLength) {
    int at = QueryPipeline.HEADER_LENGTH;
    while (at < wire.length) {
      int length = wire[at] & 0xff;
      if (length == 0) {
        boolean whole = at + 1 - QueryPipeline.HEADER_LENGTH == nameLength && at + 5 <= wire.length;
        return whole ? at + 5 : -1;
      }
      if ((length & 0xc0) != 0) {
        return -1; // RFC 1035 §4.1.4: a pointer
      }
      at += 1 + length;
    }
    return -1;
  }

  private static int maxSize(boolean tcp, boolean edns, int clientPayload) {
    if (tcp) {
      return QueryPipeline.MAX_TCP_MESSAGE;
    }
    if (!edns) {
      return QueryPipeline.MIN_UDP_PAYLOAD;
    }
    return Math.max(QueryPipeline.MIN_UDP_PAYLOAD, Math.min(clientPayload, QueryPipeline.MAX_UDP_PAYLOAD));
  }

  /** Returns the query as dnsjava parses it, parsing it now if it was not yet. */
  Message message() {
    Message m = messageOrNull();
    if (m == null) {
      throw new IllegalStateException("the query's OPT options do not parse");
    }
    return m;
  }

  /** Returns {@link #message()}, or {@code null} when dnsjava rejects what the light parse took. */
  Message messageOrNull() {
    if (message == null) {
      try {
        message = new Message(wire);
      } catch (IOException e) {
        return null;
      }
    }
    return message;
  }

  /** Returns the question as a record, for the upstream query. */
  Record question() {
    if (message != null) {
      return message.getQuestion();
    }
    try {
      DNSInput in = new DNSInput(wire);
      in.jump(QueryPipeline.HEADER_LENGTH);
      return Record.newRecord(new Name(in), type, dclass);
    } catch (IOException e) {
      throw new IllegalStateException("a question the light parse took does not parse", e);
    }
  }
}
