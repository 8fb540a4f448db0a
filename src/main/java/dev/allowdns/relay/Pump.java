package dev.allowdns.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.SocketChannel;
import java.util.ArrayDeque;

/**
 * One direction of a relayed connection: writes what {@code source} reads to {@code sink}, and
 * passes the end of the stream on once everything before it was written.
 *
 * <p>Backpressure: the source reads on (auto-read) while each write completes at once, which is
 * the common case, and stops reading while a write is still pending, until it completes. Netty's
 * read loop checks auto-read after every message, so it stops at once. A write that completes at
 * once costs no listener and no {@code read()} through the pipeline.
 *
 * <p>Shaping ({@link Throttle}, when the sandbox's bandwidth is limited in this direction): what
 * was read is forwarded as usual, and the source stops reading while the budget is in debt, the
 * same way it stops for a pending write; it reads on when both are over. Once the source's peer
 * has half-closed, Netty reads on to the end of the stream whatever auto-read says: what arrives
 * during a pause is then held (at most what the kernel had buffered) and forwarded, paying as it
 * goes, when the pause ends; the end of the stream is passed on after it.
 *
 * <p>Confined to the connection's event loop, like {@link Connection}.
 */
final class Pump implements ChannelFutureListener {
  private final SocketChannel source;
  private final SocketChannel sink;
  private int pendingWrites;
  private boolean ended;
  private boolean sourceClosed;
  /** The source's bandwidth, or {@code null} when it is not shaped. */
  private final Throttle throttle;
  /** Read during a pause (the peer half-closed), to forward when it ends; null until needed. */
  private ArrayDeque<Object> held;

  Pump(SocketChannel source, SocketChannel sink) {
    this(source, sink, null);
  }

  Pump(SocketChannel source, SocketChannel sink, Throttle throttle) {
    this.source = source;
    this.sink = sink;
    this.throttle = throttle;
    if (throttle != null) {
      throttle.onResume(this::pauseEnded);
    }
  }

  /** Writes {@code data} to the sink; stops reading the source while the write is pending. */
  void forward(Object data) {
    if (throttle != null) {
      if (throttle.paused() || isHolding()) {
        hold(data);
        return;
      }
      if (throttle.charge(payloadBytes(data))) {
        source.config().setAutoRead(false); // until pauseEnded()
      }
    }
    write(data);
  }

  private void write(Object data) {
    ChannelFuture written = sink.writeAndFlush(data);
    if (written.isDone()) {
      if (!written.isSuccess()) {
        source.close();
      }
      return;
    }
    if (pendingWrites++ == 0) {
      source.config().setAutoRead(false);
    }
    written.addListener(this);
  }

  /**
   * Lets the source read on its own, unless a write is pending, the budget is in debt or the
   * stream has ended.
   */
  void start() {
    if (pendingWrites == 0 && !ended && !sourceClosed && !shaped() && !isHolding()) {
      source.config().setAutoRead(true);
    }
  }

  @Override
  public void operationComplete(ChannelFuture written) {
    pendingWrites--;
    if (!written.isSuccess()) {
      source.close();
      return;
    }
    if (pendingWrites > 0 || isHolding()) {
      return; // what is held goes first, when the pause ends
    }
    if (sourceClosed) {
      closeSink();
    } else if (ended) {
      passEnd();
    } else if (!shaped()) {
      source.config().setAutoRead(true);
    }
  }

  /** Returns the bytes of raw data, or of a decoded HTTP message's body (its head is small). */
  private static int payloadBytes(Object data) {
    return data instanceof ByteBuf b ? b.readableBytes() : data instanceof ByteBufHolder h ? h.content().readableBytes() : 0;
  }

  private boolean shaped() {
    return throttle != null && throttle.paused();
  }

  private boolean isHolding() {
    return held != null && !held.isEmpty();
  }

  private void hold(Object data) {
    if (held == null) {
      held = new ArrayDeque<>();
    }
    held.add(data);
  }

  /** Forwards what was held, paying for each, until the budget pauses again; then reads on. */
  private void pauseEnded() {
    while (isHolding() && !shaped()) {
      Object data = held.poll();
      throttle.charge(payloadBytes(data));
      write(data);
    }
    if (isHolding() || shaped() || pendingWrites > 0) {
      return; // the next pause's end, or the last write's completion, goes on from here
    }
    if (sourceClosed) {
      closeSink();
    } else if (ended) {
      passEnd();
    } else {
      source.config().setAutoRead(true);
    }
  }

  /**
   * Passes "no more data" on to the sink once what was written to it is flushed. The source's
   * input is over, so it need not read again: without half-closure Netty skips the extra read it
   * would otherwise attempt, and closes instead of half-closing should the source end again.
   */
  void end() {
    source.config().setAllowHalfClosure(false);
    ended = true;
    if (pendingWrites == 0 && !isHolding()) {
      passEnd();
    }
  }

  /** Closes the sink once what was written to it is flushed: the source is gone. */
  void sourceClosed() {
    sourceClosed = true;
    if (pendingWrites == 0 && !isHolding()) {
      closeSink();
    }
  }

  private void passEnd() {
    if (!sink.isActive()) {
      return;
    }
    if (sink.isInputShutdown()) {
      // The other direction has ended too: nothing more will flow either way. Closing now
      // (rather than shutting the output down first) lets the other pump finish its writes
      // to the source and then close it.
      sink.close();
      return;
    }
    sink.shutdownOutput();
    // When the sink's peer ends its stream in turn, both directions are over: let Netty close
    // the channel at once instead of half-closing it (a shutdown(SHUT_RD) that fails with
    // ENOTCONN, an exception with a stack trace, and an epoll_ctl).
    sink.config().setAllowHalfClosure(false);
  }

  private void closeSink() {
    if (sink.isOpen()) {
      sink.close();
    }
  }
}
