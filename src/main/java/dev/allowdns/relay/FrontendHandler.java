package dev.allowdns.relay;

import dev.allowdns.audit.ConnectionRecord;
import dev.allowdns.identity.ProcessOwner;
import dev.allowdns.identity.SocketOwners;
import dev.allowdns.limit.Direction;
import dev.allowdns.policy.Policy;
import dev.allowdns.policy.PolicySet;
import dev.allowdns.sandbox.Sandbox;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.unix.UnixChannel;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sandbox side of one connection. Transparent: finds the original destination and the
 * sandbox, decides ({@link Gate}), waits a bounded time for the peek handlers to report SNI or
 * Host, connects (directly or through a parent proxy), then pumps bytes to the destination with
 * backpressure. An explicit proxy's tunnel ({@link Tunnel}) arrives decided and connects first,
 * since its client sends nothing before the proxy's {@code 200}; its SNI is checked after. Every
 * connection ends in one record.
 */
final class FrontendHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(FrontendHandler.class);
  /** Bytes held for a destination that is still being connected to, before reading pauses. */
  private static final int MAX_PENDING_BYTES = 64 * 1024;
  private final RelayCore core;
  /** The explicit proxy's tunnel, or {@code null} on the transparent path. */
  private final Tunnel tunnel;
  private final Tunnel.Listener tunnelListener;
  private CompletableFuture<ProcessOwner> ownerLookup;
  private final Queue<Object> pending = new ArrayDeque<>();
  private int pendingBytes;
  private Connection connection;
  private Policy policy;
  private ScheduledFuture<?> peekTimer;
  private boolean decided;
  /** Whether connecting has ended, either way: the first outcome counts. */
  private boolean connectSettled;
  private boolean connected;
  /** Sandbox to destination, once connected and decided. */
  private Pump toDestination;

  /** Where finished connections go. */
  interface RecordSink {
    void record(ConnectionRecord record);
  }

  FrontendHandler(RelayCore core, Tunnel tunnel, Tunnel.Listener tunnelListener) {
    this.core = core;
    this.tunnel = tunnel;
    this.tunnelListener = tunnelListener;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    if (tunnel != null) {
      startTunnel(ctx);
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    Channel channel = ctx.channel();
    InetSocketAddress client = (InetSocketAddress) channel.remoteAddress();
    connection = new Connection(channel, client);
    core.metrics.opened();
    channel.closeFuture().addListener(closed -> onFrontendClosed());
    InetSocketAddress local = (InetSocketAddress) channel.localAddress();
    boolean loop;
    try {
      connection.destination =
          OriginalDestination.of(((UnixChannel) channel).fd().intValue(), client.getAddress());
      loop = isRelayItself(connection.destination, local);
    } catch (IOException e) {
      loop = true; // no conntrack entry: the client connected to the relay's own address
      connection.destination = local;
    }
    Sandbox sandbox = core.sandboxes.get().identify(client.getAddress()).orElse(null);
    PolicySet policySet = core.policies.get();
    connection.sandbox = sandbox;
    connection.generation = policySet.generation();
    connection.serial = policySet.serial();
    policy = sandbox == null ? null : policySet.policy(sandbox.policy()).orElse(null);
    String logRefusal = core.logRefusal();
    Verdict verdict =
        logRefusal != null
            ? Verdict.refuse(Verdict.LOG_UNAVAILABLE, null, null)
            : Gate.beforePeek(
            loop,
            sandbox,
            policy,
            connection.destination,
            sandbox == null ? List.of() : core.ledger.lookup(sandbox.id(), connection.destination.getAddress()),
            core.ledger.now());
    if (!core.admitted(channel)) { // past the descriptor budget: refused before it costs a second one
      verdict = Verdict.refuse(Verdict.TOO_MANY_OPEN, verdict.domain(), verdict.rule());
    }
    connection.verdict = core.settings.audit() ? verdict.audited() : verdict;
    if (core.owners.wanted(sandbox, false)) { // --process-identity all: while the connection runs
      lookUpOwner().thenAccept(owner -> ctx.executor().execute(() -> connection.process = owner));
    }
    if (!connection.verdict.allowed()) {
      refuse(ctx);
      return;
    }
    startPeek(ctx);
  }

  /** The explicit proxy decided already: connect first, peek at the SNI once the client speaks. */
  private void startTunnel(ChannelHandlerContext ctx) {
    Channel channel = ctx.channel();
    connection = new Connection(channel, (InetSocketAddress) channel.remoteAddress());
    connection.path = ConnectionRecord.PROXY;
    connection.destination = tunnel.destination();
    connection.sandbox = tunnel.sandbox();
    connection.generation = tunnel.generation();
    connection.serial = tunnel.serial();
    connection.verdict = new Verdict(true, tunnel.wouldBlock(), tunnel.domain(), tunnel.rule());
    policy = core.policies.get().policy(tunnel.sandbox().policy()).orElse(null);
    core.metrics.opened();
    channel.closeFuture().addListener(closed -> onFrontendClosed());
    connect(ctx);
  }

  private void startPeek(ChannelHandlerContext ctx) {
    if (ctx.pipeline().get(TlsNamePeek.class) == null) {
      ctx.pipeline().addBefore(ctx.name(), "tls-name-peek", new TlsNamePeek());
    }
    peekTimer =
        ctx.executor()
            .schedule(() -> peekTimedOut(ctx), core.settings.peekTimeout().toMillis(), TimeUnit.MILLISECONDS);
    // Reads on its own from now on (paused past MAX_PENDING_BYTES, and by the pump's
    // backpressure): one epoll_ctl, where a read() per burst costs two (EPOLLIN set, cleared).
    ctx.channel().config().setAutoRead(true);
  }

  private static boolean isRelayItself(InetSocketAddress destination, InetSocketAddress local) {
    if (destination.getPort() != local.getPort()) {
      return false;
    }
    InetAddress address = destination.getAddress();
    if (address.equals(local.getAddress()) || address.isLoopbackAddress() || address.isAnyLocalAddress()) {
      return true;
    }
    try {
      return NetworkInterface.getByInetAddress(address) != null;
    } catch (SocketException e) {
      return false;
    }
  }

  private void peekTimedOut(ChannelHandlerContext ctx) {
    if (decided) {
      return;
    }
    // Server-speaks-first protocols (SSH, SMTP) send nothing: decide on the destination alone.
    // The peeks' buffered bytes flow into channelRead (pending) when they are removed, and are
    // counted there; only then does pending show whether a ClientHello had begun.
    removePeeks(ctx);
    onPeek(ctx, unended());
  }

  /**
   * What the bytes held when the peek timed out began: a ClientHello or an HTTP head begun but
   * not ended is refused like one past the peek's bound (relaying it unchecked would let a client
   * drip its name past the timeout); anything else is {@code tcp}.
   */
  private PeekResult unended() {
    if (!(pending.peek() instanceof ByteBuf first) || !first.isReadable()) {
      return PeekResult.nothing(0);
    }
    String within = " within " + core.settings.peekTimeout().toMillis() + " ms";
    if (first.getUnsignedByte(first.readerIndex()) == 0x16) {
      return new PeekResult("https", null, null, 0, "no complete ClientHello" + within);
    }
    return HttpHostPeek.startsLikeHttp(first)
        ? new PeekResult("http", null, null, 0, "no complete request head" + within)
        : PeekResult.nothing(0);
  }

  private static void removePeeks(ChannelHandlerContext ctx) {
    for (Class<? extends ChannelHandler> peek : List.of(TlsNamePeek.class, HttpHostPeek.class)) {
      if (ctx.pipeline().get(peek) != null) {
        ctx.pipeline().remove(peek);
      }
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof PeekResult peek) {
      onPeek(ctx, peek);
    } else if (evt instanceof ChannelInputShutdownEvent) {
      connection.sandboxDoneSending = true;
      if (toDestination != null) {
        toDestination.end();
      } else if (!decided || connection.backend != null) {
        // still deciding or connecting: the half-close is passed on once connected
      } else {
        ctx.close();
      }
    } else if (evt instanceof IdleStateEvent) {
      connection.endReason = "idle_timeout";
      ctx.close();
    } else {
      ctx.fireUserEventTriggered(evt);
    }
  }

  private void onPeek(ChannelHandlerContext ctx, PeekResult peek) {
    if (decided) {
      return;
    }
    decided = true;
    if (peekTimer != null) {
      peekTimer.cancel(false);
    }
    connection.peek = peek;
    Verdict checked = Gate.afterPeek(connection.verdict, policy, connection.destination, peek);
    // Audit mode: a refusal found before the peek stays the one recorded.
    connection.verdict =
        core.settings.audit()
            ? (connection.verdict.wouldBlock() ? connection.verdict : checked.audited())
            : checked;
    if (!connection.verdict.allowed()) {
      connection.bytesFromSandbox += peek.peekedBytes(); // they will never reach channelRead's count
      refuse(ctx);
      return;
    }
    if (connected) {
      startPumping(ctx); // a tunnel: connected before the client spoke
    } else {
      connect(ctx);
    }
  }

  private void connect(ChannelHandlerContext ctx) {
    String rule = connection.verdict.rule();
    connection.bytesFromSandboxMeter = core.metrics.bytes(RelayMetrics.TO_DESTINATION, rule);
    connection.bytesToSandboxMeter = core.metrics.bytes(RelayMetrics.TO_SANDBOX, rule);
    connection.bytesFromSandboxMeter.increment(connection.bytesFromSandbox); // peeked so far
    new Dialer(core, ctx, connection, this::onConnected, this::onConnectFailed, this::maybeRecord).dial(policy);
  }

  private void onConnectFailed(ChannelHandlerContext ctx, String reason) {
    if (connectSettled) {
      return;
    }
    connectSettled = true;
    if (!ctx.channel().isOpen()) {
      // The sandbox gave up first (its own timeout): no failure of the destination.
      connection.endReason = "sandbox_closed";
      return;
    }
    connection.endReason = reason;
    failConnect(ctx);
  }

  private void failConnect(ChannelHandlerContext ctx) {
    if (connection.backend != null) {
      connection.backend.close();
    }
    if (tunnelListener != null) {
      decided = true;
      tunnelListener.failed(connection.endReason, connection.proxyStatus); // answers, then closes
    } else {
      refuse(ctx);
    }
  }

  private void onConnected(ChannelHandlerContext ctx) {
    if (connectSettled) {
      return;
    }
    connectSettled = true;
    connected = true;
    if (tunnel == null) {
      startPumping(ctx);
      return;
    }
    tunnelListener.connected();
    if (ctx.channel().isOpen()) {
      startPeek(ctx);
    }
  }

  private void startPumping(ChannelHandlerContext ctx) {
    Throttle up = core.throttle(ctx.channel(), ctx.channel(), connection.sandbox, Direction.UP);
    Pump pump = new Pump((SocketChannel) ctx.channel(), (SocketChannel) connection.backend, up);
    toDestination = pump;
    while (!pending.isEmpty()) {
      pump.forward(pending.poll());
    }
    pendingBytes = 0;
    if (connection.sandboxDoneSending) {
      pump.end();
    } else {
      pump.start();
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (decided && !connection.verdict.allowed()) {
      ReferenceCountUtil.release(msg); // refused: counted when the peek reported
      return;
    }
    int n = 0;
    if (msg instanceof ByteBuf data) { // else decoded HTTP, counted beneath the codec (AbsoluteForm)
      n = data.readableBytes();
      connection.bytesFromSandbox += n;
      if (connection.bytesFromSandboxMeter != null) {
        connection.bytesFromSandboxMeter.increment(n);
      }
    }
    if (toDestination != null) {
      toDestination.forward(msg);
    } else {
      pending.add(msg);
      pendingBytes += n;
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (toDestination != null) {
      toDestination.readBurstEnded();
    } else if (pendingBytes >= MAX_PENDING_BYTES) {
      ctx.channel().config().setAutoRead(false); // still peeking or connecting: hold a bound
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close(); // nothing escapes the event loop; the close writes the record
  }

  /** Refuses with a reset, so the client fails at once instead of waiting for a timeout. */
  private void refuse(ChannelHandlerContext ctx) {
    decided = true;
    if (peekTimer != null) {
      peekTimer.cancel(false);
    }
    while (!pending.isEmpty()) {
      ReferenceCountUtil.release(pending.poll());
    }
    pendingBytes = 0;
    if (connection.backend != null && connection.backend.isOpen()) {
      connection.backend.close();
    }
    Channel channel = ctx.channel();
    if (!channel.isOpen()) {
      return;
    }
    if (!core.owners.wanted(connection.sandbox, true)) {
      reset(channel);
      return;
    }
    // The sandbox's socket exists until the reset: name its process first, within the budget.
    lookUpOwner()
        .whenComplete(
            (owner, failure) ->
                ctx.executor()
                    .execute(
                        () -> {
                          connection.process = owner;
                          reset(channel);
                        }));
  }

  private static void reset(Channel channel) {
    if (channel.isOpen()) {
      channel.config().setOption(ChannelOption.SO_LINGER, 0);
      channel.close();
    }
  }

  /** Starts looking up the process of the sandbox's end of this connection, once. */
  private CompletableFuture<ProcessOwner> lookUpOwner() {
    if (ownerLookup == null) {
      ownerLookup =
          core.owners.find(connection.sandbox, SocketOwners.Transport.TCP, connection.client, connection.destination);
    }
    return ownerLookup;
  }

  private void onFrontendClosed() {
    while (!pending.isEmpty()) {
      ReferenceCountUtil.release(pending.poll());
    }
    if (toDestination != null) {
      toDestination.sourceClosed(); // closes the destination once what it was sent is flushed
    } else if (connection.backend != null && connection.backend.isOpen()) {
      connection.backend.close(); // still connecting
    }
    maybeRecord();
  }

  private void maybeRecord() {
    boolean frontendOpen = connection.frontend.isOpen();
    boolean backendOpen = connection.backend != null && connection.backend.isOpen();
    if (!frontendOpen && !backendOpen && connection.claimRecord()) {
      ConnectionRecord record = connection.toRecord();
      if (record.reason() == null && core.cutting()) {
        record = record.withReason(RelayCore.SHUTDOWN); // still open when the shutdown grace ran out
      }
      core.metrics.closed(record.result(), record.reason(), record.path());
      core.records.record(record);
    }
  }
}
