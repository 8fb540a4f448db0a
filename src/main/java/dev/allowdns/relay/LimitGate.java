package dev.allowdns.relay;

import com.google.common.net.InetAddresses;
import dev.allowdns.audit.ConnectionRecord;
import dev.allowdns.audit.Timestamps;
import dev.allowdns.limit.ConnectionAdmission;
import dev.allowdns.limit.ConnectionPermit;
import dev.allowdns.limit.Refusal;
import dev.allowdns.limit.RefusalSummaries;
import dev.allowdns.limit.SandboxBudgets;
import dev.allowdns.policy.PolicySet;
import dev.allowdns.sandbox.Sandbox;
import dev.allowdns.sandbox.Sandboxes;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.unix.UnixChannel;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The first handler of every accepted connection, on both paths: takes the sandbox's connection
 * permit ({@link SandboxBudgets#admitConnection}: {@code connections_per_second}, {@code
 * open_connections}), gives it back when the channel closes (however it closes: the close future
 * completes exactly once), and leaves. The permit stays on the channel ({@link #PERMIT}) for the
 * shaping of its bytes. A refused connection goes no further: no decision and no record of its
 * own (the refusals are summarised, one record per sandbox, limit and second), just turned away
 * at once. A client of no known sandbox passes; the relay's decision refuses it. Confined to the
 * channel's event loop.
 */
public final class LimitGate extends ChannelInboundHandlerAdapter {
  /** The admitted connection's permit, on the sandbox side's channel. */
  public static final AttributeKey<ConnectionPermit> PERMIT = AttributeKey.valueOf("allowdns.permit");
  /** How long a refused explicit-proxy client has to send its request before the answer goes. */
  private static final long ANSWER_WAIT_MILLIS = 1_000;

  private final Supplier<Sandboxes> sandboxes;
  private final Supplier<PolicySet> policies;
  private final SandboxBudgets budgets;
  private final RefusalSummaries<ConnectionRecord> summaries;
  /** Builds the explicit proxy's answer to a refusal, or {@code null}: reset. */
  private final Function<Refusal, Object> answer;
  private Refusal refusal;
  private ScheduledFuture<?> answerTimer;

  LimitGate(
      Supplier<Sandboxes> sandboxes,
      Supplier<PolicySet> policies,
      SandboxBudgets budgets,
      RefusalSummaries<ConnectionRecord> summaries,
      Function<Refusal, Object> answer) {
    this.sandboxes = sandboxes;
    this.policies = policies;
    this.budgets = budgets;
    this.summaries = summaries;
    this.answer = answer;
  }

  /** Refuses with a reset, as the transparent relay refuses everything. */
  static LimitGate resetting(RelayCore core) {
    return new LimitGate(core.sandboxes, core.policies, core.budgets, core.limitRefusals, null);
  }

  /**
   * Refuses with {@code answer}'s message (an HTTP {@code 429}), written once the request has
   * been read, so that closing does not turn it into a reset the client may see first.
   */
  public static LimitGate answering(RelayCore core, Function<Refusal, Object> answer) {
    return new LimitGate(core.sandboxes, core.policies, core.budgets, core.limitRefusals, answer);
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    Channel channel = ctx.channel();
    InetSocketAddress client = (InetSocketAddress) channel.remoteAddress();
    Sandbox sandbox = sandboxes.get().identify(client.getAddress()).orElse(null);
    ConnectionAdmission admission = sandbox == null ? null : budgets.admitConnection(sandbox.id(), sandbox.policy());
    if (admission == null || admission.admitted()) {
      if (admission != null) {
        ConnectionPermit permit = admission.permit();
        channel.attr(PERMIT).set(permit);
        channel.closeFuture().addListener(closed -> permit.close());
      }
      ctx.fireChannelActive();
      ctx.pipeline().remove(this);
      return;
    }
    refusal = admission.refusal();
    summaries.refused(sandbox.id(), refusal.limit(), System.currentTimeMillis(), second -> record(channel, sandbox, second));
    if (answer == null) {
      channel.config().setOption(ChannelOption.SO_LINGER, 0);
      ctx.close();
      return;
    }
    answerTimer = ctx.executor().schedule(() -> answer(ctx), ANSWER_WAIT_MILLIS, TimeUnit.MILLISECONDS);
    ctx.read();
  }

  /** Returns the record that stands for the second's refusals: the first one's, at the second. */
  private ConnectionRecord record(Channel channel, Sandbox sandbox, long secondMillis) {
    InetSocketAddress client = (InetSocketAddress) channel.remoteAddress();
    InetSocketAddress destination = answer == null ? originalDestination(channel, client) : null;
    PolicySet policySet = policies.get();
    return new ConnectionRecord(
        Timestamps.format(Instant.ofEpochMilli(secondMillis)),
        sandbox.taskId(),
        sandbox.user(),
        "egress",
        null,
        destination == null ? 0 : destination.getPort(),
        answer == null ? "tcp" : "http",
        null,
        0,
        0,
        0,
        "blocked",
        null,
        sandbox.id(),
        InetAddresses.toAddrString(client.getAddress()),
        destination == null ? null : InetAddresses.toAddrString(destination.getAddress()),
        refusal.reason(),
        null,
        policySet.generation(),
        policySet.serial(),
        answer == null ? ConnectionRecord.TRANSPARENT : ConnectionRecord.PROXY,
        null,
        null,
        null,
        null,
        null);
  }

  private static InetSocketAddress originalDestination(Channel channel, InetSocketAddress client) {
    if (!(channel instanceof UnixChannel unix)) {
      return null;
    }
    try {
      return OriginalDestination.of(unix.fd().intValue(), client.getAddress());
    } catch (IOException e) {
      return null; // not redirected: the client connected to the relay itself
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ReferenceCountUtil.release(msg); // only a refused connection reads while the gate is there
    answer(ctx);
  }

  private void answer(ChannelHandlerContext ctx) {
    if (answerTimer == null) {
      return; // answered already
    }
    answerTimer.cancel(false);
    answerTimer = null;
    ctx.pipeline().writeAndFlush(answer.apply(refusal)).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (answerTimer != null) {
      answerTimer.cancel(false);
    }
    // The handlers behind never saw the connection become active: nothing for them to end.
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    // Idle events of a refused connection: it closes on its own within a second.
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
