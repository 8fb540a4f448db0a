package dev.allowdns.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.allowdns.config.Cidr;
import dev.allowdns.config.HostPort;
import dev.allowdns.config.LimitsConfig;
import dev.allowdns.ledger.Ledger;
import dev.allowdns.limit.SandboxBudgets;
import dev.allowdns.policy.Policy;
import dev.allowdns.policy.PolicySet;
import dev.allowdns.sandbox.Sandbox;
import dev.allowdns.sandbox.Sandboxes;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Record;

/**
 * The resolver's whole query path, from a raw datagram (or TCP frame) to the bytes sent back,
 * without sockets: a fake upstream answers every cache miss with bytes the fuzzer chose. No input
 * may make the pipeline throw, fail its future, hang, or answer something dnsjava cannot parse;
 * an answer is a response (QR) with the query's ID; a name the policy blocks is never forwarded.
 *
 * <p>Input layout: byte 0 flags (bits 0-1 client, 2 TCP, 3 audit mode, 4 ask twice, 5 the
 * upstream fails on the second ask), byte 1 minutes between the two asks, bytes 2-3 the length
 * {@code L} of the upstream reply, then {@code L} bytes of it (its 12-byte header, then its
 * records: the fake puts the real question between them and sets ID and QDCOUNT), then the query.
 */
class QueryPipelineFuzzTest {
  private static final InetAddress[] CLIENTS = {
    address("127.0.0.1"), // loopback: policy default
    address("10.0.0.2"), // a registered sandbox, policy default
    address("10.0.0.3"), // a registered sandbox whose policy is not loaded
    address("192.0.2.9"), // nobody: REFUSED, never forwarded
  };
  private static final PolicySet POLICIES = policies();
  private static final Policy POLICY = POLICIES.policy(PolicySet.DEFAULT_POLICY).orElseThrow();
  private static final Sandboxes SANDBOXES =
      Sandboxes.of(
          List.of(
              new Sandboxes.Entry(Cidr.parse("10.0.0.2/32"), new Sandbox("vm-1", "t1", "u", "default")),
              new Sandboxes.Entry(Cidr.parse("10.0.0.3/32"), new Sandbox("vm-2", null, null, "missing"))),
          PolicySet.DEFAULT_POLICY);
  private static final DnsMetrics METRICS = new DnsMetrics(new SimpleMeterRegistry());

  /** Answers with the fuzzer's reply, as a server on the wire would: the reply must match. */
  private static final class FakeUpstream extends UpstreamGroup {
    private byte[] reply = new byte[0];
    private boolean failing;
    final List<Record> asked = new ArrayList<>();

    FakeUpstream(List<HostPort> servers) {
      super(servers, Duration.ofSeconds(1), null, null, METRICS);
    }

    @Override
    CompletableFuture<Message> exchange(Message query, HostPort server, boolean tcp) {
      asked.add(query.getQuestion());
      if (failing) {
        return CompletableFuture.failedFuture(new TimeoutException("no reply from " + server));
      }
      Message candidate;
      try {
        candidate = new Message(wire(query, reply, tcp));
      } catch (IOException e) {
        // The real exchange discards a reply that does not parse and times out.
        return CompletableFuture.failedFuture(new TimeoutException("no usable reply from " + server));
      }
      return answers(query, candidate)
          ? CompletableFuture.completedFuture(candidate)
          : CompletableFuture.failedFuture(new TimeoutException("no matching reply from " + server));
    }

    private static byte[] wire(Message query, byte[] reply, boolean tcp) {
      byte[] header = Arrays.copyOf(reply, 12);
      int id = query.getHeader().getID();
      header[0] = (byte) (id >>> 8);
      header[1] = (byte) id;
      header[4] = 0;
      header[5] = 1;
      if (tcp) {
        header[2] &= ~0x02; // the TCP retry: not truncated again
      }
      byte[] question = query.getQuestion().toWire(org.xbill.DNS.Section.QUESTION);
      byte[] rest = reply.length > 12 ? Arrays.copyOfRange(reply, 12, reply.length) : new byte[0];
      byte[] out = new byte[12 + question.length + rest.length];
      System.arraycopy(header, 0, out, 0, 12);
      System.arraycopy(question, 0, out, 12, question.length);
      System.arraycopy(rest, 0, out, 12 + question.length, rest.length);
      return out;
    }
  }

  /** A ticker the test moves. */
  private static final class ManualTicker implements com.github.benmanes.caffeine.cache.Ticker {
    long nanos = 1_000_000_000L;

    @Override
    public long read() {
      return nanos;
    }
  }

  @FuzzTest
  void queryPath(byte[] input) throws Exception {
    if (input.length < 4) {
      return;
    }
    int flags = input[0] & 0xff;
    InetAddress client = CLIENTS[flags & 0x03];
    boolean tcp = (flags & 0x04) != 0;
    boolean audit = (flags & 0x08) != 0;
    boolean twice = (flags & 0x10) != 0;
    boolean failSecond = (flags & 0x20) != 0;
    long minutes = input[1] & 0xff;
    int replyLength = Math.min((input[2] & 0xff) << 8 | (input[3] & 0xff), input.length - 4);
    byte[] reply = Arrays.copyOfRange(input, 4, 4 + replyLength);
    byte[] query = Arrays.copyOfRange(input, 4 + replyLength, input.length);

    List<FakeUpstream> upstreams = new ArrayList<>();
    Routing routing =
        Routing.of(
            POLICIES,
            List.of(HostPort.parse("192.0.2.53:53", 53)),
            servers -> {
              FakeUpstream fake = new FakeUpstream(servers);
              fake.reply = reply;
              upstreams.add(fake);
              return fake;
            });
    ManualTicker ticker = new ManualTicker();
    QueryPipeline pipeline =
        new QueryPipeline(
            () -> routing,
            () -> SANDBOXES,
            new AnswerCache(100, Duration.ofDays(1), ticker),
            null,
            METRICS,
            ticker,
            Clock.systemUTC(),
            new Ledger(1_000, Duration.ofHours(1), Duration.ofHours(1), ticker),
            audit,
            new SyntheticAddresses(Duration.ofHours(3)),
            null,
            new QueryLimits(
                SandboxBudgets.create(LimitsConfig.DEFAULTS, new SimpleMeterRegistry(), ticker), null, Clock.systemUTC()));

    check(query, tcp, pipeline.handle(query.clone(), client, tcp));
    if (twice) {
      ticker.nanos += minutes * 60_000_000_000L;
      upstreams.forEach(u -> u.failing = failSecond);
      check(query, tcp, pipeline.handle(query.clone(), client, tcp));
    }

    for (FakeUpstream upstream : upstreams) {
      for (Record asked : upstream.asked) {
        assertTrue(client != CLIENTS[2] && client != CLIENTS[3], "forwarded for an unknown client: " + asked);
        String name = QueryPipeline.normalize(asked.getName());
        assertTrue(audit || POLICY.decide(name).allowed(), () -> "forwarded a blocked name: " + name);
      }
    }
  }

  private static void check(byte[] query, boolean tcp, CompletableFuture<byte[]> future) throws Exception {
    assertTrue(future.isDone(), "the answer did not complete with a synchronous upstream (a hang)");
    byte[] answer = future.join(); // throws if the future failed
    if (answer == null) {
      return;
    }
    Message parsed;
    try {
      parsed = new Message(answer);
    } catch (IOException e) {
      fail("the answer does not parse: " + e + " " + hex(answer));
      return;
    }
    assertTrue(parsed.getHeader().getFlag(Flags.QR), "the answer is not a response");
    int queryId = (query[0] & 0xff) << 8 | (query[1] & 0xff);
    assertEquals(queryId, parsed.getHeader().getID(), "the answer's ID");
    if (!tcp) {
      assertTrue(answer.length <= QueryPipeline.MAX_UDP_PAYLOAD, "a UDP answer over 1232 bytes");
    }
    assertNotNull(parsed.getHeader());
  }

  private static String hex(byte[] bytes) {
    StringBuilder s = new StringBuilder();
    for (byte b : bytes) {
      s.append(String.format("%02x", b));
    }
    return s.toString();
  }

  private static PolicySet policies() {
    try {
      Path dir = Files.createTempDirectory("allowdns-pipeline-fuzz");
      Files.writeString(
          dir.resolve("fuzz.zone"),
          "allowed.test\n*.wild.test\n**.deep.test\n!denied.deep.test\n~^re[0-9]+\\.test$\n");
      Files.writeString(dir.resolve("private.zone"), "@allow-private\nprivate.test\n");
      Files.writeString(dir.resolve("forwarded.zone"), "@forward 192.0.2.54:5353\nfwd.test\n");
      PolicySet set = PolicySet.load(dir, Map.of(), 1);
      try (var files = Files.list(dir)) {
        for (Path f : files.toList()) {
          Files.delete(f);
        }
      }
      Files.delete(dir);
      return set;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static InetAddress address(String text) {
    try {
      return InetAddress.getByName(text);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
