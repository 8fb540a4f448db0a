package dev.allowdns.relay;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.DuplexChannel;

/** The two moves both pump directions share: passing a half-close on, and closing after a flush. */
final class Pump {
  private Pump() {}

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
