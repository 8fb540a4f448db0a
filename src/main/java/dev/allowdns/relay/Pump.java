package dev.allowdns.relay;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.DuplexChannel;

/**
 * The moves both pump directions share: forwarding with backpressure, passing a half-close on, and
 * closing after a flush.
 */
final class Pump {
  private Pump() {}

  /**
   * Writes {@code data}, read from {@code source}, to {@code sink}; {@code source} reads again only
   * after the write completed (backpressure). Usually the kernel takes it at once and reading just
   * goes on, with no change to the epoll registration; otherwise reading pauses until it is
   * written. A failed write closes {@code source}.
   */
  static void forward(Object data, Channel source, Channel sink) {
    ChannelFuture written = sink.writeAndFlush(data);
    if (written.isDone()) {
      if (!written.isSuccess()) {
        source.close();
      }
      return;
    }
    source.config().setAutoRead(false);
    written.addListener(
        (ChannelFutureListener)
            done -> {
              if (done.isSuccess()) {
                source.config().setAutoRead(true); // and reads
              } else {
                source.close();
              }
            });
  }

  /**
   * Passes "no more data" on to {@code peer} once what was written to it is flushed; closes both
   * when the other direction has ended too.
   */
  static void halfClose(Channel peer, Channel self, boolean otherDirectionDone) {
    if (otherDirectionDone) {
      closeOnFlush(peer);
      self.close();
      return;
    }
    if (peer.isActive()) {
      peer.writeAndFlush(Unpooled.EMPTY_BUFFER)
          .addListener(
              (ChannelFutureListener)
                  flushed -> {
                    if (peer instanceof DuplexChannel duplex) {
                      duplex.shutdownOutput();
                    } else {
                      peer.close();
                    }
                  });
    }
  }

  /** Closes {@code channel} once everything written to it has been flushed. */
  static void closeOnFlush(Channel channel) {
    if (channel != null && channel.isActive()) {
      channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
  }
}
