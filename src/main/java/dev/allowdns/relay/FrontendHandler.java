package dev.allowdns.relay;

import dev.allowdns.audit.ConnectionRecord;
import dev.allowdns.identity.ProcessOwner;
import dev.allowdns.identity.SocketOwners;
import dev.allowdns.ledger.Ledger;
import dev.allowdns.policy.Policy;
import dev.allowdns.policy.PolicySet;
import dev.allowdns.sandbox.Sandbox;
import dev.allowdns.sandbox.Sandboxes;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
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
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sandbox side of one connection: finds the original destination and the sandbox, decides
 * ({@link Gate}), waits a bounded time for the peek handlers to report SNI or Host, connects,
 * then pumps bytes to the destination with backpressure. Every connection ends in one record.
 */
final class FrontendHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(FrontendHandler.class);
  /** Bytes held for a destination that is still being connected to, before reading pauses. */
  private static final int MAX_PENDING_BYTES = 64 * 1024;

  private final RelayServer.Settings settings;
  private final Supplier<Sandboxes> sandboxes;
  private final Supplier<PolicySet> policies;
  private final Ledger ledger;
  private final Destinations destinations;
  private final RelayMetrics metrics;
  private final RecordSink records;
  private final SocketOwners owners;
  private CompletableFuture<ProcessOwner> ownerLookup;
  private final Queue<Object> pending = new ArrayDeque<>();
  private int pendingBytes;
  private Connection connection;
  private Policy policy;
  private ScheduledFuture<?> peekTimer;
  private boolean decided;
  /** Sandbox to destination, once connected. */
  private Pump toDestination;

  /** Where finished connections go. */
  interface RecordSink {
    void record(ConnectionRecord record);
  }

  FrontendHandler(
      RelayServer.Settings settings,
      Supplier<Sandboxes> sandboxes,
      Supplier<PolicySet> policies,
      Ledger ledger,
      Destinations destinations,
      RelayMetrics metrics,
      RecordSink records,
      SocketOwners owners) {
    this.settings = settings;
    this.sandboxes = sandboxes;
    this.policies = policies;
    this.ledger = ledger;
    this.destinations = destinations;
    this.metrics = metrics;
    this.records = records;
    this.owners = owners;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    Channel channel = ctx.channel();
    InetSocketAddress client = (InetSocketAddress) channel.remoteAddress();
    connection = new Connection(channel, client);
    metrics.opened();
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
    Sandbox sandbox = sandboxes.get().identify(client.getAddress()).orElse(null);
    PolicySet policySet = policies.get();
    connection.sandbox = sandbox;
    connection.generation = policySet.generation();
    policy = sandbox == null ? null : policySet.policy(sandbox.policy()).orElse(null);
    Verdict verdict =
        Gate.beforePeek(
            loop,
            sandbox,
            policy,
            connection.destination,
            sandbox == null ? List.of() : ledger.lookup(sandbox.id(), connection.destination.getAddress()),
            ledger.now());
    connection.verdict = settings.audit() ? verdict.audited() : verdict;
    if (owners.wanted(sandbox, false)) { // --process-identity all: while the connection runs
      lookUpOwner().thenAccept(owner -> ctx.executor().execute(() -> connection.process = owner));
    }
    if (!connection.verdict.allowed()) {
      refuse(ctx);
      return;
    }
    peekTimer =
        ctx.executor()
            .schedule(() -> peekTimedOut(ctx), settings.peekTimeout().toMillis(), TimeUnit.MILLISECONDS);
    ctx.read();
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
    // The peeks' buffered bytes flow into channelRead when they are removed, and are counted there.
    PeekResult seen = pendingStartsWithTls() ? new PeekResult("https", null, null, 0) : PeekResult.nothing(0);
    removePeeks(ctx);
    onPeek(ctx, seen);
  }

  private boolean pendingStartsWithTls() {
    Object first = pending.peek();
    return first instanceof ByteBuf b && b.isReadable() && b.getUnsignedByte(b.readerIndex()) == 0x16;
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
    Verdict checked = Gate.afterPeek(connection.verdict, policy, connection.destination, peek.sni(), peek.host());
    // Audit mode: a refusal found before the peek stays the one recorded.
    connection.verdict =
        settings.audit() ? (connection.verdict.wouldBlock() ? connection.verdict : checked.audited()) : checked;
    if (!connection.verdict.allowed()) {
      connection.bytesFromSandbox += peek.peekedBytes(); // they will never reach channelRead's count
      refuse(ctx);
      return;
    }
    connect(ctx);
  }

  private void connect(ChannelHandlerContext ctx) {
    String rule = connection.verdict.rule();
    connection.bytesFromSandboxMeter = metrics.bytes(RelayMetrics.TO_DESTINATION, rule);
    connection.bytesToSandboxMeter = metrics.bytes(RelayMetrics.TO_SANDBOX, rule);
    connection.bytesFromSandboxMeter.increment(connection.bytesFromSandbox); // peeked so far
    // One loop for both sides: no locking, no handoff.
    ChannelFuture connecting =
        destinations.connect(ctx.channel().eventLoop(), connection.destination, new BackendHandler(connection));
    SocketChannel backend = (SocketChannel) connecting.channel();
    connection.backend = backend;
    backend.closeFuture().addListener(closed -> maybeRecord());
    connecting.addListener(
        (ChannelFutureListener)
            connected -> {
              if (!connected.isSuccess()) {
                if (!ctx.channel().isOpen()) {
                  // The sandbox gave up first (its own timeout): no failure of the destination.
                  connection.endReason = "sandbox_closed";
                  return;
                }
                log.debug("cannot connect to {}: {}", connection.destination, connected.cause().toString());
                connection.endReason = Verdict.CONNECT_FAILED;
                refuse(ctx);
                return;
              }
              Pump pump = new Pump((SocketChannel) ctx.channel(), backend);
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
            });
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (decided && !connection.verdict.allowed()) {
      ReferenceCountUtil.release(msg); // refused: counted when the peek reported
      return;
    }
    ByteBuf data = (ByteBuf) msg;
    int n = data.readableBytes();
    connection.bytesFromSandbox += n;
    if (connection.bytesFromSandboxMeter != null) {
      connection.bytesFromSandboxMeter.increment(n);
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
    if (toDestination == null && pendingBytes < MAX_PENDING_BYTES && ctx.channel().isActive()) {
      ctx.read(); // still peeking or connecting: keep listening, up to a bound
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
    Channel channel = ctx.channel();
    if (!channel.isOpen()) {
      return;
    }
    if (!owners.wanted(connection.sandbox, true)) {
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
          owners.find(connection.sandbox, SocketOwners.Transport.TCP, connection.client, connection.destination);
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
      metrics.closed(record.result(), record.reason());
      records.record(record);
    }
  }
}
