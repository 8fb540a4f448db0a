package dev.allowdns.relay;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two pumps between real loopback sockets, wired as the relay's handlers wire them: a client
 * ("sandbox") connects to a Netty listener, whose accepted channel is pumped to and from a
 * Netty channel connected to a plain server socket ("destination").
 */
class PumpTest {
  private EventLoopGroup loop;
  private Channel listener;
  private ServerSocket destination;
  private final CompletableFuture<SocketChannel[]> relayed = new CompletableFuture<>();
  /** The sandbox side's upload budget for the connections accepted next, or null: unshaped. */
  private volatile RealTimeBudget upload;

  /** A budget that starts empty and earns {@code bytesPerSecond}, on the real clock. */
  private static final class RealTimeBudget implements ByteBudget {
    private final double bytesPerNano;
    private final long start = System.nanoTime();
    private long charged;
    /** How many charges asked for a pause. */
    final AtomicLong pauses = new AtomicLong();

    RealTimeBudget(long bytesPerSecond) {
      this.bytesPerNano = bytesPerSecond / 1e9;
    }

    @Override
    public synchronized long charge(long bytes) {
      charged += bytes;
      long earned = (long) ((System.nanoTime() - start) * bytesPerNano);
      if (charged <= earned) {
        return 0;
      }
      pauses.incrementAndGet();
      return (long) ((charged - earned) / bytesPerNano);
    }
  }

  /** Pumps one direction, as FrontendHandler and BackendHandler do once connected. */
  private static final class Side extends ChannelInboundHandlerAdapter {
    Pump out;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      out.forward(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      out.readBurstEnded();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        out.end();
      } else {
        ctx.fireUserEventTriggered(evt);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      out.sourceClosed();
    }
  }

  @BeforeEach
  void start() throws Exception {
    assumeTrue(Epoll.isAvailable(), "the relay needs the epoll transport");
    loop = new EpollEventLoopGroup(1);
    destination = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
    listener =
        new ServerBootstrap()
            .group(loop)
            .channel(EpollServerSocketChannel.class)
            .childOption(ChannelOption.AUTO_READ, false)
            .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel front) {
                    Side fromSandbox = new Side();
                    Side fromDestination = new Side();
                    front.pipeline().addLast(fromSandbox);
                    EpollSocketChannel back = new EpollSocketChannel();
                    back.config().setAllowHalfClosure(true);
                    back.pipeline().addLast(fromDestination);
                    front.eventLoop().register(back);
                    back.connect(destination.getLocalSocketAddress())
                        .addListener(
                            connected -> {
                              fromSandbox.out =
                                  new Pump(front, back, upload == null ? null : new Throttle(front, upload));
                              fromDestination.out = new Pump(back, front);
                              fromSandbox.out.start();
                              relayed.complete(new SocketChannel[] {front, back});
                            });
                  }
                })
            .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .sync()
            .channel();
  }

  @AfterEach
  void stop() throws IOException {
    if (loop != null) {
      listener.close().syncUninterruptibly();
      loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
      destination.close();
    }
  }

  private Socket sandbox() throws IOException {
    Socket s = new Socket();
    s.connect(listener.localAddress(), 2000);
    s.setSoTimeout(5000);
    return s;
  }

  private static byte[] payload(int length, int seed) {
    byte[] b = new byte[length];
    for (int i = 0; i < length; i++) {
      b[i] = (byte) (i * 31 + seed);
    }
    return b;
  }

  private static byte[] readToEnd(InputStream in) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    in.transferTo(all);
    return all.toByteArray();
  }

  private static void awaitClosed(SocketChannel[] both) {
    assertTrue(both[0].closeFuture().awaitUninterruptibly(5000), "sandbox side closed");
    assertTrue(both[1].closeFuture().awaitUninterruptibly(5000), "destination side closed");
  }

  @Test
  void sandboxHalfClosesFirst_everyByteArrivesBothWays_andBothSidesClose() throws Exception {
    byte[] up = payload(300_000, 1);
    byte[] down = payload(500_000, 2);
    try (Socket client = sandbox(); Socket server = destination.accept()) {
      server.setSoTimeout(5000);
      client.getOutputStream().write(up);
      client.shutdownOutput();
      assertArrayEquals(up, readToEnd(server.getInputStream()), "destination got every byte, then EOF");
      server.getOutputStream().write(down);
      server.shutdownOutput();
      assertArrayEquals(down, readToEnd(client.getInputStream()), "sandbox got every byte, then EOF");
      awaitClosed(relayed.get(5, TimeUnit.SECONDS));
    }
  }

  @Test
  void destinationHalfClosesFirst_sandboxKeepsSending_andItAllArrives() throws Exception {
    byte[] down = payload(200_000, 3);
    byte[] up = payload(400_000, 4);
    try (Socket client = sandbox(); Socket server = destination.accept()) {
      server.setSoTimeout(5000);
      server.getOutputStream().write(down);
      server.shutdownOutput();
      assertArrayEquals(down, readToEnd(client.getInputStream()), "sandbox got every byte, then EOF");
      client.getOutputStream().write(up); // after the destination's half-close
      client.shutdownOutput();
      assertArrayEquals(up, readToEnd(server.getInputStream()), "destination got every byte, then EOF");
      awaitClosed(relayed.get(5, TimeUnit.SECONDS));
    }
  }

  @Test
  void slowDestination_stopsReadingTheSandbox_untilTheWriteCompletes() throws Exception {
    byte[] up = payload(32_000_000, 5); // more than the kernel buffers on the way hold
    try (Socket client = sandbox(); Socket server = destination.accept()) {
      server.setSoTimeout(5000);
      SocketChannel front = relayed.get(5, TimeUnit.SECONDS)[0];
      Thread writer = writeAndHalfClose(client, up);
      // The destination reads nothing yet: once the kernel's buffers are full a write stays
      // pending, and the sandbox side must stop reading.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (front.config().isAutoRead() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertFalse(front.config().isAutoRead(), "sandbox side paused while a write is pending");
      byte[] got = readToEnd(server.getInputStream());
      writer.join(5000);
      assertEquals(up.length, got.length);
      assertTrue(Arrays.equals(up, got), "destination got every byte in order");
    }
  }

  @Test
  void shapedSandbox_thatHalfClosesAtOnce_everyByteArrivesInOrder_noFasterThanItsBudget() throws Exception {
    // The sandbox writes everything and half-closes while the pump is paused. (On loopback the
    // half-close arrives once most bytes were read; RelayLimitsIT has it arrive with megabytes
    // still buffered, which the pump must hold rather than forward.)
    upload = new RealTimeBudget(8_000_000);
    byte[] up = payload(4_000_000, 6);
    try (Socket client = sandbox(); Socket server = destination.accept()) {
      server.setSoTimeout(5000);
      long start = System.nanoTime();
      Thread writer = writeAndHalfClose(client, up);
      byte[] got = readToEnd(server.getInputStream());
      long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      writer.join(5000);
      assertTrue(Arrays.equals(up, got), "destination got every byte in order: " + got.length);
      // 4 MB at 8 MB/s from an empty budget: half a second; the last read's debt is not waited for.
      assertTrue(elapsedMillis >= 450, "shaped to the budget, took " + elapsedMillis + " ms");
      assertTrue(upload.pauses.get() > 0, "reading paused");
    }
  }

  @Test
  void shapedSandbox_andASlowDestination_bothPausesEnd_andEveryByteArrives() throws Exception {
    upload = new RealTimeBudget(40_000_000);
    byte[] up = payload(20_000_000, 7);
    try (Socket client = sandbox(); Socket server = destination.accept()) {
      server.setSoTimeout(5000);
      Thread writer = writeAndHalfClose(client, up);
      Thread.sleep(300); // the destination reads nothing yet: writes stay pending while shaped
      byte[] got = readToEnd(server.getInputStream());
      writer.join(5000);
      assertEquals(up.length, got.length);
      assertTrue(Arrays.equals(up, got), "destination got every byte in order");
    }
  }

  private static Thread writeAndHalfClose(Socket client, byte[] data) {
    Thread writer = new Thread(() -> {
      try {
        client.getOutputStream().write(data);
        client.shutdownOutput();
      } catch (IOException e) {
        // the assertions report what arrived
      }
    });
    writer.start();
    return writer;
  }
}
