package dev.allowdns.proxy;

import dev.allowdns.config.ParentProxy;
import dev.allowdns.dns.NameLookup;
import dev.allowdns.parent.ParentConnect;
import dev.allowdns.policy.Policy;
import dev.allowdns.policy.PolicySet;
import dev.allowdns.relay.RelayCore;
import dev.allowdns.relay.Tunnel;
import dev.allowdns.sandbox.Sandbox;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.xbill.DNS.Rcode;

/**
 * One client connection of the explicit proxy: reads a request head (bounded in size and time),
 * decides its destination by the sandbox's policy, then opens a {@code CONNECT} tunnel through the
 * relay or forwards the plain HTTP request ({@link Forwarder}). Refusals are HTTP answers with
 * {@value Answers#REASON_HEADER}, and each is recorded. Confined to the channel's event loop.
 */
final class ProxyHandler extends ChannelInboundHandlerAdapter {
  static final Set<String> FAILED_TO_CONNECT =
      Set.of(ProxyDecision.CONNECT_FAILED, ParentConnect.REFUSED, ParentConnect.UNREACHABLE);
  static final String REQUEST_TIMEOUT = "request_timeout";
  static final String SANDBOX_CLOSED = "sandbox_closed";

  private final RelayCore core;
  private final Resolver lookup;
  private ScheduledFuture<?> headTimer;
  private Forwarder forwarder;
  private boolean tunnelling;
  /** A refusal was answered: the connection closes once it is written; what follows is dropped. */
  private boolean closing;
  /**
   * What was read while a request's name is being resolved (its body, and any request pipelined
   * after it), replayed in order once it has gone out; null when no name is being resolved.
   */
  private Queue<HttpObject> held;

  /** Resolves a name for a sandbox: {@link NameLookup#resolve} (a fake in tests without a resolver). */
  interface Resolver {
    CompletableFuture<NameLookup.Answer> resolve(InetAddress client, String name);
  }

  ProxyHandler(RelayCore core, Resolver lookup) {
    this.core = core;
    this.lookup = lookup;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    if (!core.admitted(ctx.channel())) {
      Exchange exchange = exchange(ctx, null);
      exchange.endReason = RelayCore.TOO_MANY_OPEN;
      refuse(ctx, exchange, 503, exchange.endReason, "allowdns: too many connections open at once; try again later");
      return;
    }
    headTimer =
        ctx.executor()
            .schedule(
                () -> refuse(ctx, exchange(ctx, null), 408, REQUEST_TIMEOUT, "allowdns: no request head within the time allowed"),
                core.settings().peekTimeout().toMillis(),
                TimeUnit.MILLISECONDS);
    ctx.read();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (tunnelling || closing) {
      // the end of a CONNECT head (the tunnel takes the bytes after), or a request pipelined
      // behind a refused one (found by ProxyHeadFuzzTest: it went on being resolved)
      ReferenceCountUtil.release(msg);
      return;
    }
    if (held != null && msg instanceof HttpObject object) {
      held.add(object); // its bytes stay in the tally until the request before it goes out
    } else if (msg instanceof HttpRequest request) {
      onRequest(ctx, request);
    } else if (msg instanceof HttpContent content && forwarder != null) {
      forwarder.content(ctx, content, tally(ctx).takeRead());
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (forwarder != null) {
      forwarder.readComplete(ctx);
    }
  }

  private void onRequest(ChannelHandlerContext ctx, HttpRequest request) {
    if (headTimer != null) {
      headTimer.cancel(false);
      headTimer = null;
    }
    if (request.decoderResult().isFailure()) {
      ReferenceCountUtil.release(request);
      String why = request.decoderResult().cause().getMessage();
      refuse(ctx, exchange(ctx, null), 400, ProxyDecision.BAD_REQUEST,
          "allowdns: malformed or oversized request head (" + Target.printable(String.valueOf(why)) + ")");
      return;
    }
    Target target;
    try {
      target = Target.of(request);
    } catch (Target.BadTarget e) {
      ReferenceCountUtil.release(request);
      refuse(ctx, exchange(ctx, null), 400, ProxyDecision.BAD_REQUEST, "allowdns: " + e.getMessage());
      return;
    }
    Exchange exchange = exchange(ctx, target);
    String logRefusal = core.logRefusal();
    if (logRefusal != null) { // each request may open a destination connection: none unrecorded
      ReferenceCountUtil.release(request);
      exchange.endReason = ProxyDecision.LOG_UNAVAILABLE;
      refuse(ctx, exchange, 503, exchange.endReason, "allowdns: " + logRefusal + "; accepting again once it can");
      return;
    }
    Policy policy = policyOf(exchange.sandbox);
    exchange.decision = ProxyDecision.decide(exchange.sandbox, policy, target, core.settings().audit());
    if (!exchange.decision.allowed()) {
      ReferenceCountUtil.release(request);
      refuse(ctx, exchange, exchange.decision.status(), exchange.decision.reason(), exchange.decision.explanation());
      return;
    }
    ParentProxy parent =
        core.parents().choose(policy, exchange.decision.rule(), exchange.decision.domain(), target.address(), target.port());
    if (request.method().equals(HttpMethod.CONNECT)) {
      ReferenceCountUtil.release(request);
      tunnelling = true;
      tally(ctx).takeRead(); // the CONNECT head is not the tunnel's payload
      if (parent != null || target.isLiteral()) {
        openTunnel(ctx, exchange, destinationOf(target, null));
      } else {
        resolve(ctx, exchange, address -> openTunnel(ctx, exchange, destinationOf(target, address)), () -> {});
      }
      return;
    }
    if (forwarder == null) {
      forwarder = new Forwarder(core, tally(ctx), this);
    }
    exchange.via = parent;
    exchange.bytesFromSandbox += tally(ctx).takeRead();
    if (parent != null || target.isLiteral() || forwarder.reuses(exchange)) {
      forwarder.request(ctx, exchange, request, target.address());
    } else {
      held = new ArrayDeque<>();
      resolve(
          ctx,
          exchange,
          address -> {
            forwarder.request(ctx, exchange, request, address);
            replayHeld(ctx);
          },
          () -> {
            ReferenceCountUtil.release(request);
            while (held != null && !held.isEmpty()) {
              ReferenceCountUtil.release(held.poll());
            }
            held = null;
          });
    }
  }

  /**
   * Goes on with what was read while a name was resolved. A pipelined request may start resolving
   * again: what follows it is held anew, in order (found by ProxyHeadFuzzTest: the second
   * request's resolution found no body queue).
   */
  private void replayHeld(ChannelHandlerContext ctx) {
    Queue<HttpObject> queue = held;
    held = null;
    while (!queue.isEmpty()) {
      HttpObject next = queue.poll();
      if (held != null) {
        held.add(next);
      } else if (!ctx.channel().isActive()) { // a replayed request was refused, and closed
        ReferenceCountUtil.release(next);
      } else {
        channelRead(ctx, next);
      }
    }
  }

  private static InetSocketAddress destinationOf(Target target, InetAddress resolved) {
    if (resolved != null) {
      return new InetSocketAddress(resolved, target.port());
    }
    return target.isLiteral()
        ? new InetSocketAddress(target.address(), target.port())
        : InetSocketAddress.createUnresolved(target.host(), target.port());
  }

  private void openTunnel(ChannelHandlerContext ctx, Exchange exchange, InetSocketAddress destination) {
    Tunnel tunnel =
        new Tunnel(
            exchange.sandbox,
            exchange.generation,
            exchange.serial,
            destination,
            exchange.decision.domain(),
            exchange.decision.rule(),
            exchange.decision.wouldBlock() ? exchange.decision.reason() : null);
    core.tunnel(
        ctx.channel(),
        tunnel,
        new Tunnel.Listener() {
          @Override
          public void connected() {
            ctx.writeAndFlush(Answers.tunnelUp());
            ctx.pipeline().remove(ProxyServer.CODEC);
            ctx.pipeline().remove(ByteTally.class);
            if (ctx.pipeline().get(ClientPacer.class) != null) {
              ctx.pipeline().remove(ClientPacer.class); // the tunnel's pump shapes from here
            }
            ctx.pipeline().remove(ProxyHandler.this);
          }

          @Override
          public void failed(String reason, Integer proxyStatus) {
            ctx.writeAndFlush(Answers.refusal(502, reason, unreachable(exchange, reason, proxyStatus)))
                .addListener(ChannelFutureListener.CLOSE);
          }
        });
  }

  /** Returns the body text of a 502: what could not be reached, and why. */
  static String unreachable(Exchange exchange, String reason, Integer proxyStatus) {
    String where = exchange.target.authority();
    return switch (reason) {
      case ParentConnect.REFUSED ->
          "allowdns: the parent proxy refused " + where + (proxyStatus == null ? "" : " (status " + proxyStatus + ")");
      case ParentConnect.UNREACHABLE -> "allowdns: the parent proxy cannot be reached for " + where;
      default -> "allowdns: cannot connect to " + where;
    };
  }

  /** Resolves the exchange's name for its sandbox, then goes on, or refuses as the answer says. */
  private void resolve(
      ChannelHandlerContext ctx, Exchange exchange, Consumer<InetAddress> then, Runnable refused) {
    lookup
        .resolve(clientOf(ctx).getAddress(), exchange.target.host())
        .whenComplete(
            (answer, error) ->
                ctx.executor()
                    .execute(
                        () -> {
                          if (!ctx.channel().isActive()) { // the client left while its name was resolved
                            refused.run();
                            if (exchange.claimRecord()) {
                              exchange.endReason = SANDBOX_CLOSED;
                              core.opened();
                              core.closed(exchange.toRecord());
                            }
                            return;
                          }
                          if (error == null && answer.rcode() == Rcode.NOERROR && !answer.addresses().isEmpty()) {
                            exchange.destination = answer.addresses().get(0);
                            then.accept(exchange.destination);
                            return;
                          }
                          refused.run();
                          refuseUnresolved(ctx, exchange, error == null ? answer : null);
                        }));
  }

  private void refuseUnresolved(ChannelHandlerContext ctx, Exchange exchange, NameLookup.Answer answer) {
    String name = exchange.target.host();
    if (answer != null && answer.rcode() == Rcode.NXDOMAIN && answer.explanation() != null) {
      // A name in the CNAME chain is denied: the resolver's own words say which.
      exchange.endReason = dev.allowdns.policy.Decision.DENIED;
      refuse(ctx, exchange, 403, exchange.endReason, answer.explanation());
    } else if (answer != null && answer.rcode() == Rcode.NOERROR) {
      exchange.endReason = ProxyDecision.NO_DNS_ANSWER;
      refuse(ctx, exchange, 403, exchange.endReason,
          "allowdns: " + name + " has no address this sandbox may reach (private addresses are removed)");
    } else {
      exchange.endReason = ProxyDecision.CONNECT_FAILED;
      String why = answer != null && answer.rcode() == Rcode.NXDOMAIN ? "does not exist" : "cannot be resolved";
      refuse(ctx, exchange, 502, exchange.endReason, "allowdns: " + name + " " + why);
    }
  }

  /** Answers a refusal, records it, and closes the client connection. */
  void refuse(ChannelHandlerContext ctx, Exchange exchange, int status, String reason, String text) {
    ByteTally tally = tally(ctx); // null once the connection has closed
    if (exchange.claimRecord()) {
      exchange.bytesFromSandbox += tally == null ? 0 : tally.takeRead();
      if (exchange.decision != null && exchange.decision.allowed() && exchange.endReason == null) {
        exchange.endReason = reason;
      }
      core.opened();
      core.closed(exchange.toRecord());
    }
    closing = true;
    if (ctx.channel().isActive()) {
      tally.answering(null);
      ctx.writeAndFlush(Answers.refusal(status, reason, text)).addListener(ChannelFutureListener.CLOSE);
    }
  }

  private Exchange exchange(ChannelHandlerContext ctx, Target target) {
    InetSocketAddress client = clientOf(ctx);
    Sandbox sandbox = core.sandboxes().identify(client.getAddress()).orElse(null);
    PolicySet policies = core.policies();
    return new Exchange(client, sandbox, policies.generation(), policies.serial(), target);
  }

  private Policy policyOf(Sandbox sandbox) {
    PolicySet policies = core.policies();
    return sandbox == null ? null : policies.policy(sandbox.policy()).orElse(null);
  }

  private static InetSocketAddress clientOf(ChannelHandlerContext ctx) {
    return (InetSocketAddress) ctx.channel().remoteAddress();
  }

  private static ByteTally tally(ChannelHandlerContext ctx) {
    return ctx.pipeline().get(ByteTally.class);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (forwarder != null) {
      forwarder.clientWritabilityChanged(ctx);
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      ctx.close();
    } else if (evt instanceof ChannelInputShutdownEvent) {
      // The client is done (half-closure is on for tunnels, which pass it on): a request in
      // flight is still answered, then the connection closes.
      if (forwarder == null || !forwarder.clientDoneSending()) {
        ctx.close();
      }
    } else {
      ctx.fireUserEventTriggered(evt);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (headTimer != null) {
      headTimer.cancel(false);
    }
    if (forwarder != null) {
      forwarder.clientClosed();
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
