package dev.allowdns.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.allowdns.audit.ConnectionRecord;
import dev.allowdns.descriptors.DescriptorBudget;
import dev.allowdns.dns.NameLookup;
import dev.allowdns.identity.SocketOwners;
import dev.allowdns.ledger.Ledger;
import dev.allowdns.parent.ParentRoutes;
import dev.allowdns.policy.DomainName;
import dev.allowdns.policy.PolicySet;
import dev.allowdns.relay.RelayCore;
import dev.allowdns.relay.RelayServer;
import dev.allowdns.sandbox.Sandboxes;
import com.github.benmanes.caffeine.cache.Ticker;
import com.google.common.net.InetAddresses;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.xbill.DNS.Rcode;

/**
 * The explicit proxy's request heads, as a client sends them, through the proxy's own pipeline
 * (byte tally, Netty's HTTP codec, {@link ProxyHandler}) on an EmbeddedChannel: no listening
 * socket, no resolver (a fake answers by name), no destination (a connect on the embedded loop
 * fails, as an unreachable destination does). What allowdns does with a decoded head is fuzzed:
 * CONNECT authorities and absolute-form URIs ({@link Target}), the policy decision, the answers.
 *
 * <p>Nothing may escape the pipeline; what goes back to the client parses as HTTP responses, each
 * refusal naming a known reason; every record has a result, and a refusal its reason; every
 * target read from a head is a normalised DNS name or an IP literal, with a port in range, whose
 * authority reads back as the same target.
 *
 * <p>Input layout: byte 0 picks the client (bit 0: a registered sandbox or an unknown address),
 * the rest is what the client sent.
 */
class ProxyHeadFuzzTest {
  private static final Set<String> REASONS =
      Set.of("unknown_sandbox", "bad_request", "not_allowed", "denied", "no_dns_answer", "connect_failed",
          "request_timeout", "too_many_open", "sandbox_closed", "destination_error");
  static {
    // The proxy's destination channels are epoll's: their native code must be loaded.
    io.netty.channel.epoll.Epoll.ensureAvailability();
    // A destination channel cannot register on the embedded loop, so closing it throws inside
    // Netty's listeners, which log each at WARN with a stack trace: noise, and slow.
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("io.netty"))
        .setLevel(ch.qos.logback.classic.Level.ERROR);
  }

  private static final PolicySet POLICIES = policies();
  /** The records of the current input; the fuzzer runs one input at a time. */
  private static final List<ConnectionRecord> RECORDS = new ArrayList<>();
  private static final RelayCore CORE = core();

  @FuzzTest
  void proxyHead(byte[] input) {
    if (input.length < 2) {
      return;
    }
    InetSocketAddress client =
        new InetSocketAddress(InetAddresses.forString((input[0] & 1) == 0 ? "127.0.0.2" : "198.51.100.9"), 40_000);
    byte[] sent = java.util.Arrays.copyOfRange(input, 1, input.length);
    RECORDS.clear();
    ClientChannel channel = new ClientChannel(client);
    channel.pipeline()
        .addLast(new ByteTally())
        .addLast(ProxyServer.CODEC, new HttpServerCodec(ProxyServer.MAX_REQUEST_LINE, ProxyServer.MAX_HEAD_BYTES, 8192))
        .addLast(new ProxyHandler(CORE, ProxyHeadFuzzTest::resolve));
    channel.start(); // registers: channelActive, as an accepted connection
    try {
      channel.writeInbound(Unpooled.wrappedBuffer(sent));
      channel.runPendingTasks();
      channel.checkException(); // rethrows whatever escaped a handler
    } catch (IllegalStateException e) {
      // The harness's limit, not the proxy's: a destination channel cannot register on the
      // embedded loop, and closing one synchronously (a request to another host ends the last
      // one) throws. Every destination channel is registered in production.
      if (!"channel not registered to an event loop".equals(e.getMessage())) {
        throw e;
      }
      channel.finishAndReleaseAll();
      return;
    }
    ByteBuf answered = Unpooled.buffer();
    for (Object out; (out = channel.readOutbound()) != null; ) {
      if (out instanceof ByteBuf b) {
        answered.writeBytes(b);
      }
      ReferenceCountUtil.release(out);
    }
    channel.close();
    channel.runPendingTasks();
    channel.finishAndReleaseAll();

    checkAnswers(answered);
    for (ConnectionRecord record : RECORDS) {
      assertTrue(Set.of("allowed", "blocked").contains(record.result()), record::toString);
      assertEquals(ConnectionRecord.PROXY, record.path(), record::toString);
      if (record.result().equals("blocked")) {
        assertTrue(REASONS.contains(record.reason()), record::toString);
      }
    }
    checkTargets(sent);
  }

  /** What went back parses as HTTP responses; every refusal carries a known reason. */
  private static void checkAnswers(ByteBuf answered) {
    EmbeddedChannel decoder = new EmbeddedChannel(new HttpResponseDecoder());
    decoder.writeInbound(answered);
    for (Object out; (out = decoder.readInbound()) != null; ) {
      try {
        HttpObject message = (HttpObject) out;
        assertTrue(message.decoderResult().isSuccess(), () -> "not HTTP: " + message.decoderResult());
        if (message instanceof HttpResponse response && response.status().code() != 200) {
          String reason = response.headers().get(Answers.REASON_HEADER);
          assertTrue(REASONS.contains(reason), () -> response.status() + " with reason " + reason);
        }
      } finally {
        ReferenceCountUtil.release(out);
      }
    }
    decoder.finishAndReleaseAll();
  }

  /** Every target read from the heads is a name or a literal, and its authority reads back the same. */
  private static void checkTargets(byte[] sent) {
    EmbeddedChannel decoder =
        new EmbeddedChannel(new HttpRequestDecoder(ProxyServer.MAX_REQUEST_LINE, ProxyServer.MAX_HEAD_BYTES, 8192));
    decoder.writeInbound(Unpooled.wrappedBuffer(sent));
    for (Object out; (out = decoder.readInbound()) != null; ) {
      try {
        if (out instanceof HttpRequest request && request.decoderResult().isSuccess()) {
          checkTarget(request);
        }
      } finally {
        ReferenceCountUtil.release(out);
      }
    }
    decoder.finishAndReleaseAll();
  }

  private static void checkTarget(HttpRequest request) {
    Target target;
    try {
      target = Target.of(request);
    } catch (Target.BadTarget e) {
      assertNotNull(e.getMessage());
      return;
    }
    assertTrue(target.port() >= 1 && target.port() <= 65535, target::toString);
    if (target.isLiteral()) {
      assertEquals(InetAddresses.toAddrString(target.address()), target.host(), target::toString);
    } else {
      assertEquals(DomainName.normalize(target.host()), target.host(), target::toString);
    }
    assertTrue(target.originForm() == null || target.originForm().startsWith("/"), target::toString);
    Target again;
    try {
      again =
          Target.of(
              new io.netty.handler.codec.http.DefaultHttpRequest(
                  io.netty.handler.codec.http.HttpVersion.HTTP_1_1,
                  io.netty.handler.codec.http.HttpMethod.CONNECT,
                  target.authority()));
    } catch (Target.BadTarget e) {
      throw new AssertionError("the authority of " + target + " does not read back: " + e.getMessage(), e);
    }
    assertEquals(target.host(), again.host(), target::toString);
    assertEquals(target.port(), again.port(), target::toString);
  }

  /** The fake resolver: an answer chosen by the name, at once. */
  private static CompletableFuture<NameLookup.Answer> resolve(InetAddress client, String name) {
    NameLookup.Answer answer =
        switch (Math.floorMod(name.hashCode(), 4)) {
          case 0 -> new NameLookup.Answer(Rcode.NOERROR, List.of(InetAddresses.forString("192.0.2.80")), null);
          case 1 -> new NameLookup.Answer(Rcode.NXDOMAIN, List.of(), "allowdns policy 'default': a CNAME is denied");
          case 2 -> new NameLookup.Answer(Rcode.NOERROR, List.of(), null);
          default -> new NameLookup.Answer(Rcode.SERVFAIL, List.of(), null);
        };
    return CompletableFuture.completedFuture(answer);
  }

  private static PolicySet policies() {
    try {
      Path zones = Files.createTempDirectory("allowdns-proxy-fuzz-");
      Files.writeString(
          zones.resolve("web.zone"), "allowed.test\n*.allowed.test\n!evil.allowed.test\nip:192.0.2.0/24\nip:2001:db8::/32\n");
      PolicySet policies = PolicySet.load(zones, Map.of(), 1);
      Files.delete(zones.resolve("web.zone"));
      Files.delete(zones);
      return policies;
    } catch (IOException | dev.allowdns.policy.PolicyException e) {
      throw new IllegalStateException(e);
    }
  }

  private static RelayCore core() {
    return RelayCore.create(
        new RelayServer.Settings(null, Duration.ofSeconds(1), Duration.ofMinutes(1), Duration.ofSeconds(1), false),
        () -> Sandboxes.of(List.of(), "default"),
        () -> POLICIES,
        new Ledger(1_000, Duration.ofSeconds(30), Duration.ofMinutes(1), Ticker.systemTicker()),
        RECORDS::add,
        new SimpleMeterRegistry(),
        ParentRoutes.DIRECT,
        SocketOwners.OFF,
        DescriptorBudget.of(new DescriptorBudget.Capacity(1_000, 100, 10, 10), new SimpleMeterRegistry()));
  }

  /** An embedded channel with the socket addresses the proxy reads its client from. */
  private static final class ClientChannel extends EmbeddedChannel {
    private final InetSocketAddress client;

    ClientChannel(InetSocketAddress client) {
      super(false, false); // registered by start(), once the proxy's handlers are in
      this.client = client;
    }

    void start() {
      try {
        register();
      } catch (Exception e) {
        throw new AssertionError("cannot register the embedded channel", e);
      }
    }

    @Override
    protected SocketAddress remoteAddress0() {
      return client;
    }

    @Override
    protected SocketAddress localAddress0() {
      return new InetSocketAddress(InetAddresses.forString("127.0.0.1"), 3128);
    }
  }
}
