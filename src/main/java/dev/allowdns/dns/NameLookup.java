package dev.allowdns.dns;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.ExtendedErrorCodeOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Resolves a name for a sandbox exactly as if the sandbox had asked the resolver: the same query
 * pipeline (policy, routing, cache, rebinding guard, CNAME deny check, ledger, query record), so a
 * proxy that resolves on a sandbox's behalf can never learn more than the sandbox could. Asks for
 * A, then AAAA when there is no IPv4 address. Thread-safe.
 */
public final class NameLookup {
  private final QueryPipeline pipeline;

  NameLookup(QueryPipeline pipeline) {
    this.pipeline = pipeline;
  }

  /**
   * What the resolver answered.
   *
   * @param rcode the DNS rcode ({@link Rcode#NOERROR} with no addresses: every address was
   *     removed, or the name has none)
   * @param addresses the answer's addresses, in answer order
   * @param explanation the Extended DNS Error text, when the answer carried one
   */
  public record Answer(int rcode, List<InetAddress> addresses, String explanation) {
    public Answer {
      addresses = List.copyOf(addresses);
    }
  }

  /** Returns the addresses {@code client} would be given for {@code name}; never fails. */
  public CompletableFuture<Answer> resolve(InetAddress client, String name) {
    return ask(client, name, Type.A)
        .thenCompose(
            v4 ->
                v4.rcode() != Rcode.NOERROR || !v4.addresses().isEmpty()
                    ? CompletableFuture.completedFuture(v4)
                    : ask(client, name, Type.AAAA)
                        .thenApply(v6 -> v6.addresses().isEmpty() ? v4 : v6));
  }

  private CompletableFuture<Answer> ask(InetAddress client, String name, int type) {
    byte[] wire;
    try {
      Message query = Message.newQuery(Record.newRecord(Name.fromString(name, Name.root), type, DClass.IN));
      query.getHeader().setFlag(Flags.RD);
      query.addRecord(new OPTRecord(QueryPipeline.MAX_UDP_PAYLOAD, 0, 0), Section.ADDITIONAL);
      wire = query.toWire();
    } catch (TextParseException e) {
      return CompletableFuture.completedFuture(new Answer(Rcode.FORMERR, List.of(), "not a DNS name"));
    }
    return pipeline.handle(wire, client, true).thenApply(NameLookup::read);
  }

  private static Answer read(byte[] response) {
    if (response == null) {
      return new Answer(Rcode.FORMERR, List.of(), null);
    }
    Message message;
    try {
      message = new Message(response);
    } catch (IOException e) {
      return new Answer(Rcode.SERVFAIL, List.of(), "unreadable answer");
    }
    List<InetAddress> addresses = new ArrayList<>();
    for (Record r : message.getSection(Section.ANSWER)) {
      if (r instanceof ARecord a) {
        addresses.add(a.getAddress());
      } else if (r instanceof AAAARecord aaaa) {
        addresses.add(aaaa.getAddress());
      }
    }
    String explanation = null;
    OPTRecord opt = message.getOPT();
    if (opt != null) {
      for (EDNSOption option : opt.getOptions(EDNSOption.Code.EDNS_EXTENDED_ERROR)) {
        explanation = ((ExtendedErrorCodeOption) option).getText();
      }
    }
    return new Answer(message.getRcode(), addresses, explanation);
  }
}
