package dev.allowdns.udp;

import dev.allowdns.audit.ConnectionRecord;
import dev.allowdns.audit.Timestamps;
import com.google.common.net.InetAddresses;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The flows the sink tracks, at most a fixed number at once. A flow's record is due when it has
 * been quiet for the quiet interval (the flow ends) or its last record is the longest interval old
 * (the flow goes on, counting from zero again). Time is an argument, so tests need no clock.
 * Confined to the sink's thread.
 */
final class FlowTable {
  /** The result and reason of every UDP record. */
  static final String RESULT = "blocked";
  static final String REASON = "udp_not_relayed";

  private final int maxFlows;
  private final long quietNanos;
  private final long longestNanos;
  private final Map<Flow.Key, Flow> flows = new HashMap<>();

  FlowTable(int maxFlows, Duration quiet, Duration longest) {
    this.maxFlows = maxFlows;
    this.quietNanos = quiet.toNanos();
    this.longestNanos = longest.toNanos();
  }

  /**
   * Counts a datagram of the flow {@code key}, making the flow with {@code newFlow} when it is
   * new and there is room.
   *
   * @return the flow, or {@code null} when it is new and the table is full (untracked)
   */
  Flow count(Flow.Key key, int length, long nowNanos, Function<Flow.Key, Flow> newFlow) {
    Flow flow = flows.get(key);
    if (flow == null) {
      if (flows.size() >= maxFlows) {
        return null;
      }
      flow = newFlow.apply(key);
      flows.put(key, flow);
    }
    flow.count(length, nowNanos);
    return flow;
  }

  /** Returns whether {@code key} is tracked. */
  boolean tracks(Flow.Key key) {
    return flows.containsKey(key);
  }

  /** Returns how many flows are tracked. */
  int size() {
    return flows.size();
  }

  /** Returns the records that are due at {@code nowNanos}; ended flows are forgotten. */
  List<ConnectionRecord> due(long nowNanos) {
    List<ConnectionRecord> records = new ArrayList<>();
    for (Iterator<Flow> it = flows.values().iterator(); it.hasNext(); ) {
      Flow flow = it.next();
      if (nowNanos - flow.lastPacketNanos >= quietNanos) {
        it.remove();
        records.add(record(flow));
      } else if (nowNanos - flow.lastRecordNanos >= longestNanos && flow.packets > 0) {
        records.add(record(flow));
        flow.lastRecordNanos = nowNanos;
        flow.packets = 0;
        flow.bytes = 0;
      }
    }
    return records;
  }

  /** Returns the records of every flow with datagrams not yet recorded, and forgets them all. */
  List<ConnectionRecord> drain() {
    List<ConnectionRecord> records = new ArrayList<>();
    for (Flow flow : flows.values()) {
      if (flow.packets > 0) {
        records.add(record(flow));
      }
    }
    flows.clear();
    return records;
  }

  private static ConnectionRecord record(Flow flow) {
    Flow.Key key = flow.key;
    return new ConnectionRecord(
        Timestamps.format(flow.periodStartedAt),
        flow.sandbox == null ? null : flow.sandbox.taskId(),
        flow.sandbox == null ? null : flow.sandbox.user(),
        "egress",
        flow.domain,
        key.destination().getPort(),
        flow.protocol,
        null,
        flow.bytes,
        0,
        (flow.lastPacketNanos - flow.periodStartedNanos) / 1_000_000,
        RESULT,
        null,
        flow.sandbox == null ? null : flow.sandbox.id(),
        InetAddresses.toAddrString(key.source().getAddress()),
        InetAddresses.toAddrString(key.destination().getAddress()),
        REASON,
        null,
        flow.generation,
        flow.serial,
        ConnectionRecord.TRANSPARENT, // UDP has no proxy path
        null,
        null,
        flow.packets,
        flow.owner == null ? null : flow.owner.getNow(null),
        null);
  }
}
