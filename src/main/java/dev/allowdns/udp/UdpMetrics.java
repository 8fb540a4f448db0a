package dev.allowdns.udp;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.IntSupplier;

/** The UDP sink's meters, every name and tag in one place; the only tag is the protocol. */
final class UdpMetrics {
  static final String UDP = "udp";
  static final String QUIC = "quic";

  private final Counter udpPackets;
  private final Counter quicPackets;
  private final Counter udpFlows;
  private final Counter quicFlows;
  private final Counter untracked;

  UdpMetrics(MeterRegistry registry, IntSupplier tracked) {
    udpPackets = packets(registry, UDP);
    quicPackets = packets(registry, QUIC);
    udpFlows = flows(registry, UDP);
    quicFlows = flows(registry, QUIC);
    untracked =
        Counter.builder("allowdns_udp_flows_untracked")
            .description(
                "Datagrams of new UDP flows that found the flow table full: recorded nowhere else")
            .register(registry);
    Gauge.builder("allowdns_udp_flows_tracked", tracked, IntSupplier::getAsInt)
        .description("UDP flows the sink tracks now")
        .strongReference(true)
        .register(registry);
  }

  private static Counter packets(MeterRegistry registry, String protocol) {
    return Counter.builder("allowdns_udp_packets")
        .description("Datagrams the UDP sink received and dropped, by protocol of their flow")
        .tag("protocol", protocol)
        .register(registry);
  }

  private static Counter flows(MeterRegistry registry, String protocol) {
    return Counter.builder("allowdns_udp_flows")
        .description("UDP flows the sink started tracking, by protocol")
        .tag("protocol", protocol)
        .register(registry);
  }

  void packet(String protocol) {
    (QUIC.equals(protocol) ? quicPackets : udpPackets).increment();
  }

  void flow(String protocol) {
    (QUIC.equals(protocol) ? quicFlows : udpFlows).increment();
  }

  void untracked() {
    untracked.increment();
  }
}
