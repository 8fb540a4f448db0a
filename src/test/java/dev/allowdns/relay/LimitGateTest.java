package dev.allowdns.relay;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.allowdns.audit.ConnectionRecord;
import dev.allowdns.config.Cidr;
import dev.allowdns.config.Limits;
import dev.allowdns.config.LimitsConfig;
import dev.allowdns.limit.Limit;
import dev.allowdns.limit.RefusalSummaries;
import dev.allowdns.limit.SandboxBudgets;
import dev.allowdns.policy.PolicySet;
import dev.allowdns.sandbox.Sandbox;
import dev.allowdns.sandbox.Sandboxes;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Admission at accept ({@link LimitGate}) by real budgets, on embedded channels from a sandbox's
 * address: vm-7 may hold two connections open and open 100 a second.
 */
class LimitGateTest {
  private static final Sandbox VM7 = new Sandbox("vm-7", "t-1", "dev@example.com", "default");
  private static final Sandboxes SANDBOXES =
      Sandboxes.of(List.of(new Sandboxes.Entry(Cidr.parse("10.0.0.7/32"), VM7)), "default");

  private final SandboxBudgets budgets =
      SandboxBudgets.create(
          new LimitsConfig(new Limits(0, 0, 100, 2, 0, 0), Map.of()), new SimpleMeterRegistry(), Ticker.systemTicker());
  private final List<RefusalSummaries.Summary<ConnectionRecord>> summaries = new CopyOnWriteArrayList<>();
  private final RefusalSummaries<ConnectionRecord> refusals = RefusalSummaries.start("test", summaries::add);

  /** What the handlers behind the gates saw, on every channel. */
  @ChannelHandler.Sharable
  private static final class Behind extends ChannelInboundHandlerAdapter {
    int active;

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      active++;
    }
  }

  private final Behind behind = new Behind();

  @AfterEach
  void stop() {
    refusals.close();
  }

  /** An accepted connection from {@code client}; the gate answers ({@code 429}) when {@code answering}. */
  private EmbeddedChannel accept(String client, boolean answering) throws Exception {
    SocketAddress remote = new InetSocketAddress(client, 40000);
    PolicySet policies = PolicySet.build(List.of(), Map.of(), 7, null, List.of());
    LimitGate gate =
        new LimitGate(
            () -> SANDBOXES,
            () -> policies,
            budgets,
            refusals,
            answering ? refusal -> Unpooled.copiedBuffer("429 " + refusal.reason() + " " + refusal.text(), US_ASCII) : null);
    return new EmbeddedChannel(gate, behind) {
      @Override
      protected SocketAddress remoteAddress0() {
        return remote;
      }
    };
  }

  @Test
  void admitted_passesOn_leavesThePipeline_andHoldsItsPermitUntilClosed() throws Exception {
    EmbeddedChannel first = accept("10.0.0.7", false);
    assertEquals(1, behind.active);
    assertNull(first.pipeline().get(LimitGate.class));
    assertNotNull(first.attr(LimitGate.PERMIT).get(), "the permit stays on the channel, for shaping");
    accept("10.0.0.7", false);
    assertEquals(2, budgets.use("vm-7", "default").openConnections());
    first.close();
    first.close();
    assertEquals(1, budgets.use("vm-7", "default").openConnections(), "given back exactly once");
  }

  @Test
  void pastOpenConnections_isResetAtOnce_goesNoFurther_andIsSummarised() throws Exception {
    accept("10.0.0.7", false);
    accept("10.0.0.7", false);
    EmbeddedChannel third = accept("10.0.0.7", false);
    EmbeddedChannel fourth = accept("10.0.0.7", false);
    assertFalse(third.isOpen() || fourth.isOpen(), "reset at once");
    assertEquals(2, behind.active, "no decision, no record of their own");
    assertNull(third.readOutbound(), "nothing is written before the reset");
    assertEquals(2, budgets.use("vm-7", "default").openConnections(), "the refused took no permit");

    refusals.close();
    assertEquals(1, summaries.size(), "one summary for the sandbox, the limit and the second: " + summaries);
    RefusalSummaries.Summary<ConnectionRecord> summary = summaries.get(0);
    assertEquals(2, summary.count());
    assertEquals(Limit.OPEN_CONNECTIONS, summary.limit());
    ConnectionRecord record = summary.first();
    assertEquals("blocked", record.result());
    assertEquals("too_many_open", record.reason());
    assertEquals("vm-7", record.sandbox());
    assertEquals("t-1", record.taskId());
    assertEquals("10.0.0.7", record.clientIp());
    assertEquals(ConnectionRecord.TRANSPARENT, record.path());
    assertEquals(7, record.policyGeneration());
    assertEquals(summary.secondStartMillis(), java.time.Instant.parse(record.timestamp()).toEpochMilli(),
        "stamped with the start of its second: " + record.timestamp());
  }

  @Test
  void refusedOnTheExplicitProxy_readsTheRequest_thenAnswersAndCloses() throws Exception {
    accept("10.0.0.7", true);
    accept("10.0.0.7", true);
    EmbeddedChannel channel = accept("10.0.0.7", true);
    assertTrue(channel.isOpen(), "waits for the request, so closing does not reset the answer away");
    channel.writeInbound(Unpooled.copiedBuffer("CONNECT a.test:443 HTTP/1.1\r\n\r\n", US_ASCII));
    ByteBuf answer = channel.readOutbound();
    assertEquals(
        "429 too_many_open allowdns: sandbox vm-7 is over open_connections 2", answer.toString(US_ASCII));
    answer.release();
    assertFalse(channel.isOpen());
    assertEquals(2, behind.active);
    refusals.close();
    assertEquals(ConnectionRecord.PROXY, summaries.get(0).first().path());
  }

  @Test
  void refusedOnTheExplicitProxy_withoutARequest_isAnsweredWithinASecond() throws Exception {
    accept("10.0.0.7", true);
    accept("10.0.0.7", true);
    EmbeddedChannel channel = accept("10.0.0.7", true);
    channel.advanceTimeBy(1, TimeUnit.SECONDS);
    channel.runScheduledPendingTasks();
    ByteBuf answer = channel.readOutbound();
    assertTrue(answer.toString(US_ASCII).startsWith("429 too_many_open"), answer.toString(US_ASCII));
    answer.release();
    assertFalse(channel.isOpen());
  }

  @Test
  void clientOfNoKnownSandbox_passesWithoutAPermit() throws Exception {
    EmbeddedChannel channel = accept("10.9.9.9", false);
    assertEquals(1, behind.active);
    assertNull(channel.attr(LimitGate.PERMIT).get());
  }
}
