package dev.allowdns.udp;

import dev.allowdns.audit.ConnectionRecord;
import dev.allowdns.config.HostPort;
import dev.allowdns.identity.ProcessOwner;
import dev.allowdns.identity.SocketOwners;
import dev.allowdns.ledger.Ledger;
import dev.allowdns.ledger.LedgerEntry;
import dev.allowdns.policy.PolicySet;
import dev.allowdns.sandbox.Sandbox;
import dev.allowdns.sandbox.Sandboxes;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The UDP sink: reads the sandboxes' UDP other than DNS that iptables TPROXY hands it, drops it,
 * and records it as one connection record per flow (DESIGN.md, "Bypass visibility"). One thread
 * reads the socket and keeps the flow table; every record is written at the latest on {@link
 * #close}.
 */
public final class UdpSink implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(UdpSink.class);
  /** A flow quiet this long has ended: its record is written. */
  static final Duration QUIET = Duration.ofSeconds(10);
  /** A flow that goes on gets a record at least this often. */
  static final Duration LONGEST = Duration.ofSeconds(60);
  /** How long a read waits, so that due records go out and a close is seen. */
  private static final int READ_TIMEOUT_MILLIS = 250;
  private static final long SWEEP_NANOS = Duration.ofMillis(500).toNanos();

  /**
   * What the sink needs besides its socket.
   *
   * @param records where flow records go (the connection log)
   */
  public record Parts(
      Supplier<Sandboxes> sandboxes,
      Supplier<PolicySet> policies,
      Ledger ledger,
      SocketOwners owners,
      Consumer<ConnectionRecord> records,
      MeterRegistry registry) {}

  private final TransparentSocket socket;
  private final HostPort listener;
  private final Parts parts;
  private final FlowTable flows;
  private final UdpMetrics metrics;
  private final Thread reader;
  private volatile boolean running = true;
  private volatile int trackedFlows;

  private UdpSink(TransparentSocket socket, HostPort listener, int maxFlows, Parts parts) {
    this.socket = socket;
    this.listener = listener;
    this.parts = parts;
    this.flows = new FlowTable(maxFlows, QUIET, LONGEST);
    this.metrics = new UdpMetrics(parts.registry(), () -> trackedFlows);
    this.reader = new Thread(this::run, "udp-sink");
  }

  /**
   * Binds {@code listen} and starts reading.
   *
   * @param maxFlows how many flows are tracked at once; past that, new flows are only counted
   * @throws IllegalStateException when the socket cannot be made (it needs CAP_NET_ADMIN) or bound
   */
  public static UdpSink start(HostPort listen, int maxFlows, Parts parts) {
    TransparentSocket socket;
    HostPort bound;
    try {
      socket = TransparentSocket.open(listen.socketAddress(), READ_TIMEOUT_MILLIS);
      var local = socket.localAddress();
      bound = new HostPort(local.getAddress(), local.getPort());
    } catch (IOException e) {
      throw new IllegalStateException("cannot listen on UDP sink " + listen + ": " + e.getMessage(), e);
    }
    UdpSink sink = new UdpSink(socket, bound, maxFlows, parts);
    sink.reader.start();
    return sink;
  }

  /** Returns the address the sink reads on. */
  public HostPort listener() {
    return listener;
  }

  private void run() {
    long lastSweep = System.nanoTime();
    while (running) {
      try {
        TransparentSocket.Datagram datagram = socket.receive();
        long now = System.nanoTime();
        if (datagram != null) {
          take(datagram, now);
        }
        if (now - lastSweep >= SWEEP_NANOS) {
          lastSweep = now;
          write(flows.due(now));
        }
      } catch (IOException | RuntimeException e) {
        log.warn("UDP sink: {}", e.toString());
      }
    }
    write(flows.drain());
  }

  private void take(TransparentSocket.Datagram datagram, long now) {
    Flow.Key key = new Flow.Key(datagram.source(), datagram.destination());
    boolean known = flows.tracks(key);
    Flow flow = flows.count(key, datagram.length(), now, k -> newFlow(k, datagram, now));
    if (flow == null) {
      metrics.packet(Quic.isLongHeader(datagram.head()) ? UdpMetrics.QUIC : UdpMetrics.UDP);
      metrics.untracked();
      return;
    }
    if (!known) {
      metrics.flow(flow.protocol);
      trackedFlows = flows.size();
    }
    metrics.packet(flow.protocol);
  }

  private Flow newFlow(Flow.Key key, TransparentSocket.Datagram first, long now) {
    Sandbox sandbox = parts.sandboxes().get().identify(key.source().getAddress()).orElse(null);
    String domain = null;
    if (sandbox != null && parts.ledger() != null) {
      List<LedgerEntry> names = parts.ledger().lookup(sandbox.id(), key.destination().getAddress());
      domain = names.isEmpty() ? null : names.get(0).name();
    }
    // At the first datagram: the sending socket may be gone by the time the flow is recorded.
    CompletableFuture<ProcessOwner> owner =
        parts.owners().wanted(sandbox, true)
            ? parts.owners().find(sandbox, SocketOwners.Transport.UDP, key.source(), key.destination())
            : null;
    String protocol = Quic.isLongHeader(first.head()) ? UdpMetrics.QUIC : UdpMetrics.UDP;
    PolicySet policies = parts.policies().get();
    return new Flow(key, sandbox, protocol, domain, policies.generation(), policies.serial(), owner, now);
  }

  private void write(List<ConnectionRecord> records) {
    records.forEach(parts.records());
    trackedFlows = flows.size();
  }

  /** Stops reading and writes the records of every flow still tracked. */
  @Override
  public void close() {
    running = false;
    try {
      reader.join(Duration.ofSeconds(5).toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    socket.close();
  }
}
