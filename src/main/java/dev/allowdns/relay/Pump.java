package dev.allowdns.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.unix.Socket;
import java.io.IOException;
import java.util.ArrayDeque;

/**
 * One direction of a relayed connection: writes what {@code source} reads to {@code sink}, and
 * passes the end of the stream on once everything before it was written.
 *
 * <p>Per connection this is as few packets and system calls as the kernel allows: what one read
 * burst brought is written with one flush, after the burst ({@link #readBurstEnded}), not one per
 * read; the flush waits until the event loop has handled what ended the burst, so that a stream
 * end read in the same burst is known, and then the last data and the FIN leave in one segment
 * ({@code TCP_CORK} around the last write and {@code shutdown(SHUT_WR)}). The shutdown is called
 * on the socket itself: Netty's {@code shutdownOutput} makes an exception with its stack trace
 * each time.
 *
 * <p>Backpressure: the source reads on while each flush completes at once, which is the common
 * case, and stops reading while one is still pending (the socket's send buffer is full), until an
 * empty marker written after it completes. A flush that completes at once costs no listener and
 * no future. Write failures reach the sink's pipeline ({@code exceptionCaught}), which closes it.
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
final class Pump implements ChannelFutureListener, Runnable {
  private final SocketChannel source;
  private final SocketChannel sink;
  private int pendingWrites;
  private boolean unflushed;
  private boolean flushScheduled;
  private boolean ended;
  private boolean endPassed;
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

  /**
   * Writes {@code data} to the sink; it goes out at the end of the read burst, or at once when
   * what is held passes the sink's high-water mark (a long burst of large reads).
   */
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
    sink.write(data, sink.voidPromise());
    unflushed = true;
    if (!sink.isWritable()) {
      flush();
    }
  }

  /**
   * The source's read burst is over: flush what it brought once the event loop has handled the
   * burst's end (a stream end read in it comes right after this call).
   */
  void readBurstEnded() {
    if (unflushed && !flushScheduled) {
      flushScheduled = true;
      source.eventLoop().execute(this);
    }
  }

  /** The scheduled flush. */
  @Override
  public void run() {
    flushScheduled = false;
    if (ended && pendingWrites == 0 && unflushed && !isHolding() && canShutDownSink()) {
      cork(); // the FIN joins the last data: shutdown pushes the corked segment out with it
    }
    flush();
    if (pendingWrites == 0 && !isHolding()) {
      afterWritten();
    }
  }

  /** Flushes what was written; when it did not all go out, pauses the source until it has. */
  private void flush() {
    if (!unflushed) {
      return;
    }
    unflushed = false;
    sink.flush();
    ChannelOutboundBuffer queued = sink.unsafe().outboundBuffer();
    if (queued == null || queued.isEmpty()) {
      return; // all in the kernel (or the sink is closed and the writes failed)
    }
    if (pendingWrites++ == 0) {
      source.config().setAutoRead(false);
    }
    // Completes once everything written before it has gone out (the buffer completes in order).
    sink.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(this);
  }

  /**
   * Lets the source read on its own, unless a write is pending, the budget is in debt or the
   * stream has ended.
   */
  void start() {
    if (unflushed) {
      run();
    }
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
    if (!ended && !sourceClosed && !shaped()) {
      source.config().setAutoRead(true);
    }
    afterWritten();
  }

  /** Everything written is out: pass the end or the close on, if the source has come to one. */
  private void afterWritten() {
    if (sourceClosed) {
      closeSink();
    } else if (ended) {
      passEnd();
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
    flush(); // outside a read burst: nothing else would
    if (isHolding() || shaped() || pendingWrites > 0) {
      return; // the next pause's end, or the last write's completion, goes on from here
    }
    if (!ended && !sourceClosed) {
      source.config().setAutoRead(true);
    }
    afterWritten();
  }

  /**
   * Passes "no more data" on to the sink once what was written to it is flushed. The source's
   * input is over, so it need not read again: without half-closure Netty skips the extra read it
   * would otherwise attempt, and closes instead of half-closing should the source end again.
   */
  void end() {
    source.config().setAllowHalfClosure(false);
    ended = true;
    if (!flushScheduled && !isHolding()) {
      run(); // data not flushed yet (a tunnel's first bytes) goes out with the FIN
    }
  }

  /** Closes the sink once what was written to it is flushed: the source is gone. */
  void sourceClosed() {
    sourceClosed = true;
    if (!flushScheduled && !isHolding()) {
      run();
    }
  }

  private boolean canShutDownSink() {
    return sink.isActive() && !sink.isInputShutdown() && sink instanceof EpollSocketChannel;
  }

  private void cork() {
    ((EpollSocketChannel) sink).config().setTcpCork(true);
  }

  private void passEnd() {
    if (endPassed || !sink.isActive()) {
      return;
    }
    endPassed = true;
    if (sink.isInputShutdown()) {
      // The other direction has ended too: nothing more will flow either way. Closing now
      // (rather than shutting the output down first) lets the other pump finish its writes
      // to the source and then close it.
      sink.close();
      return;
    }
    if (sink instanceof EpollSocketChannel epoll) {
      try {
        ((Socket) epoll.fd()).shutdown(false, true);
      } catch (IOException e) {
        sink.close(); // the peer is gone: nothing to half-close
        return;
      }
    } else {
      sink.shutdownOutput();
    }
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
