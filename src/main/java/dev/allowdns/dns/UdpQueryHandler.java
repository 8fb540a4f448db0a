package dev.allowdns.dns;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads queries from a UDP socket and writes each answer back to its sender. Answers computed
 * during a read burst (cache hits) are flushed together at its end, so epoll can send them in one
 * {@code sendmmsg}.
 */
@Sharable
final class UdpQueryHandler extends SimpleChannelInboundHandler<DatagramPacket> {
  private static final Logger log = LoggerFactory.getLogger(UdpQueryHandler.class);

  private final QueryPipeline pipeline;

  UdpQueryHandler(QueryPipeline pipeline) {
    this.pipeline = pipeline;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
    byte[] wire = ByteBufUtil.getBytes(packet.content());
    InetSocketAddress sender = packet.sender();
    CompletableFuture<byte[]> response = pipeline.handle(wire, sender.getAddress(), false);
    if (response.isDone()) {
      byte[] out = response.join();
      if (out != null) {
        ctx.write(datagram(ctx, out, sender), ctx.voidPromise());
      }
    } else {
      response.thenAccept(
          out -> {
            if (out != null) {
              ctx.writeAndFlush(datagram(ctx, out, sender), ctx.voidPromise());
            }
          });
    }
  }

  /**
   * Returns {@code out} in a pooled direct buffer, which epoll sends as it is (a heap buffer it
   * would copy into one first). Written with the void promise: a failed send is only logged
   * ({@link #exceptionCaught}), so no promise is made per datagram.
   */
  private static DatagramPacket datagram(ChannelHandlerContext ctx, byte[] out, InetSocketAddress to) {
    return new DatagramPacket(ctx.alloc().directBuffer(out.length).writeBytes(out), to);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    ctx.flush();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // A UDP socket serves every client: one bad datagram or ICMP error must never close it.
    log.debug("UDP socket error on {}: {}", ctx.channel().localAddress(), cause.toString());
  }
}
