package dev.allowdns.relay;

import dev.allowdns.sandbox.Sandbox;
import dev.allowdns.sandbox.Sandboxes;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * The first handler of every accepted connection, on both paths: takes the sandbox's connection
 * permit ({@link RelayLimits#admit}), gives it back when the channel closes (however it closes:
 * the close future completes exactly once), and leaves. A refused connection goes no further:
 * no decision, no record of its own (the limits summarise refusals), just turned away at once.
 * A client of no known sandbox passes; the relay's decision refuses it. Confined to the channel's
 * event loop.
 */
public final class LimitGate extends ChannelInboundHandlerAdapter {
  /** How long a refused explicit-proxy client has to send its request before the answer goes. */
  private static final long ANSWER_WAIT_MILLIS = 1_000;

  private final Supplier<Sandboxes> sandboxes;
  private final RelayLimits limits;
  /** Builds the explicit proxy's answer (reason, explanation → message), or {@code null}: reset. */
  private final BiFunction<String, String, Object> answer;
  private String refusal;
  private String explanation;
  private ScheduledFuture<?> answerTimer;

  LimitGate(Supplier<Sandboxes> sandboxes, RelayLimits limits, BiFunction<String, String, Object> answer) {
    this.sandboxes = sandboxes;
    this.limits = limits;
    this.answer = answer;
  }

  /** Refuses with a reset, as the transparent relay refuses everything. */
  static LimitGate resetting(RelayCore core) {
    return new LimitGate(core.sandboxes, core.limits, null);
  }

  /**
   * Refuses with {@code answer}'s message (an HTTP {@code 429}), written once the request has
   * been read, so that closing does not turn it into a reset the client may see first.
   */
  public static LimitGate answering(RelayCore core, BiFunction<String, String, Object> answer) {
    return new LimitGate(core.sandboxes, core.limits, answer);
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    InetSocketAddress client = (InetSocketAddress) ctx.channel().remoteAddress();
    Sandbox sandbox = sandboxes.get().identify(client.getAddress()).orElse(null);
    RelayLimits.Admission admission = sandbox == null ? RelayLimits.Admission.ADMITTED : limits.admit(sandbox);
    if (admission.admitted()) {
      ctx.channel().closeFuture().addListener(closed -> admission.release().run());
      ctx.fireChannelActive();
      ctx.pipeline().remove(this);
      return;
    }
    refusal = admission.refusal();
    explanation = admission.explanation();
    if (answer == null) {
      ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
      ctx.close();
      return;
    }
    answerTimer = ctx.executor().schedule(() -> answer(ctx), ANSWER_WAIT_MILLIS, TimeUnit.MILLISECONDS);
    ctx.read();
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
    ctx.pipeline().writeAndFlush(answer.apply(refusal, explanation)).addListener(ChannelFutureListener.CLOSE);
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
