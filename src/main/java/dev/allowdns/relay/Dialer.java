package dev.allowdns.relay;

import com.google.common.net.InetAddresses;
import dev.allowdns.config.ParentProxy;
import dev.allowdns.parent.ParentAddress;
import dev.allowdns.parent.ParentConnect;
import dev.allowdns.policy.Policy;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import java.net.InetSocketAddress;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the destination side of one allowed connection the way its route says: directly; through
 * the parent proxy with {@code CONNECT name:port}; or, for plain HTTP on the transparent path,
 * to the parent with each request rewritten to absolute form ({@link AbsoluteForm}), since
 * parents commonly refuse {@code CONNECT} to port 80. Runs on the connection's event loop.
 */
final class Dialer {
  private static final Logger log = LoggerFactory.getLogger(Dialer.class);
  private final RelayCore core;
  private final ChannelHandlerContext ctx;
  private final Connection connection;
  private final Consumer<ChannelHandlerContext> connected;
  private final BiConsumer<ChannelHandlerContext, String> failed;
  private final Runnable backendClosed;

  Dialer(
      RelayCore core,
      ChannelHandlerContext ctx,
      Connection connection,
      Consumer<ChannelHandlerContext> connected,
      BiConsumer<ChannelHandlerContext, String> failed,
      Runnable backendClosed) {
    this.core = core;
    this.ctx = ctx;
    this.connection = connection;
    this.connected = connected;
    this.failed = failed;
    this.backendClosed = backendClosed;
  }

  void dial(Policy policy) {
    InetSocketAddress destination = connection.destination;
    ParentProxy parent =
        core.parents.choose(
            policy, connection.verdict.rule(), connection.verdict.domain(), destination.getAddress(), destination.getPort());
    if (parent != null) {
      connection.via = parent;
      boolean plainHttp = connection.peek != null && "http".equals(connection.peek.protocol());
      throughParent(parent, plainHttp);
      return;
    }
    if (destination.isUnresolved()) {
      // The proxy leaves resolving to the parent only when it routes through one.
      failed.accept(ctx, Verdict.CONNECT_FAILED);
      return;
    }
    // One loop for both sides: no locking, no handoff.
    ChannelFuture connecting =
        core.destinations.connect(ctx.channel().eventLoop(), destination, new BackendHandler(core, connection));
    attach(connecting);
    connecting.addListener(
        (ChannelFutureListener)
            done -> {
              if (done.isSuccess()) {
                connected.accept(ctx);
              } else {
                log.debug("cannot connect to {}: {}", destination, done.cause().toString());
                failed.accept(ctx, Verdict.CONNECT_FAILED);
              }
            });
  }

  /** Connects to the parent, then asks it for a tunnel, or sends it absolute-form requests. */
  private void throughParent(ParentProxy parent, boolean plainHttp) {
    InetSocketAddress destination = connection.destination;
    String host =
        connection.verdict.domain() != null
            ? connection.verdict.domain()
            : destination.isUnresolved()
                ? destination.getHostString()
                : InetAddresses.toAddrString(destination.getAddress());
    String authority = ParentConnect.authority(host, destination.getPort());
    String authorization = core.parents.authorizationFor(parent);
    if (plainHttp) {
      // Now, while the HTTP peek reports: its buffered request goes through the codec.
      AbsoluteForm.install(ctx, connection, authority, authorization);
    }
    ParentAddress.of(parent)
        .whenComplete(
            (address, error) ->
                ctx.executor()
                    .execute(
                        () -> {
                          if (error != null || !ctx.channel().isOpen()) {
                            failed.accept(ctx, ParentConnect.UNREACHABLE);
                            return;
                          }
                          ChannelHandler[] handlers =
                              plainHttp
                                  ? new ChannelHandler[] {
                                    new HttpClientCodec(8192, ParentConnect.MAX_HEAD_BYTES, 8192),
                                    new AbsoluteForm.FromParent(connection, status -> refusedByParent(status)),
                                    new BackendHandler(core, connection)
                                  }
                                  : new ChannelHandler[] {
                                    new ParentConnect(
                                        authority,
                                        authorization,
                                        core.settings.connectTimeout().toMillis(),
                                        outcome -> {
                                          if (outcome.tunnelUp()) {
                                            connected.accept(ctx);
                                          } else {
                                            refusedByParent(outcome.status(), outcome.reason());
                                          }
                                        }),
                                    new BackendHandler(core, connection)
                                  };
                          ChannelFuture connecting =
                              core.destinations.connect(ctx.channel().eventLoop(), address, handlers);
                          attach(connecting);
                          connecting.addListener(
                              (ChannelFutureListener)
                                  done -> {
                                    if (!done.isSuccess()) {
                                      failed.accept(ctx, ParentConnect.UNREACHABLE);
                                    } else if (plainHttp) {
                                      connected.accept(ctx);
                                    }
                                  });
                        }));
  }

  private void refusedByParent(int status) {
    refusedByParent(status, ParentConnect.REFUSED);
  }

  private void refusedByParent(Integer status, String reason) {
    connection.proxyStatus = status;
    if (connection.peek != null && "http".equals(connection.peek.protocol()) && connection.via != null) {
      // Plain HTTP is connected once the parent accepts TCP; its 407 comes with the answer.
      connection.endReason = reason;
      ctx.channel().config().setOption(io.netty.channel.ChannelOption.SO_LINGER, 0);
      ctx.close();
      return;
    }
    failed.accept(ctx, reason);
  }

  private void attach(ChannelFuture connecting) {
    SocketChannel backend = (SocketChannel) connecting.channel();
    connection.backend = backend;
    backend.closeFuture().addListener(closed -> backendClosed.run());
  }
}
