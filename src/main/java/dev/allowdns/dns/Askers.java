package dev.allowdns.dns;

import dev.allowdns.audit.QueryRecord;
import dev.allowdns.sandbox.Sandbox;
import java.net.InetAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The query-log fields of each client ({@link QueryRecord.Asker}), encoded once per thread and
 * client address while the client stays the same sandbox. Thread-safe (each thread keeps its own).
 */
final class Askers {
  /** Clients each thread remembers; past that it starts over (a flood of clients costs encoding). */
  static final int MAX_CLIENTS = 1024;

  private final ThreadLocal<Map<InetAddress, QueryRecord.Asker>> byClient =
      ThreadLocal.withInitial(HashMap::new);

  /** Returns the fields of {@code client}, identified as {@code sandbox} ({@code null}: unknown). */
  QueryRecord.Asker of(Sandbox sandbox, InetAddress client) {
    if (sandbox == null) {
      // Unknown clients are refused, and may be many: their fields are not kept.
      return QueryRecord.Asker.of(null, null, null, client);
    }
    Map<InetAddress, QueryRecord.Asker> known = byClient.get();
    QueryRecord.Asker asker = known.get(client);
    if (asker != null
        && asker.sandbox().equals(sandbox.id())
        && Objects.equals(asker.taskId(), sandbox.taskId())
        && Objects.equals(asker.user(), sandbox.user())) {
      return asker;
    }
    if (known.size() >= MAX_CLIENTS) {
      known.clear();
    }
    asker = QueryRecord.Asker.of(sandbox.id(), sandbox.taskId(), sandbox.user(), client).encoded();
    known.put(client, asker);
    return asker;
  }
}
