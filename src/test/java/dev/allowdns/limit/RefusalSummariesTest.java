package dev.allowdns.limit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

class RefusalSummariesTest {
  @Test
  void refused_aFlood_isOneRecordPerSandboxLimitAndSecond() {
    List<RefusalSummaries.Summary<String>> out = new ArrayList<>();
    try (RefusalSummaries<String> summaries = RefusalSummaries.start("test", out::add)) {
      for (int i = 0; i < 10_000; i++) {
        long millis = 5_000 + i % 2000; // seconds 5 and 6
        summaries.refused("vm-7", Limit.DNS_QPS, millis, second -> "first@" + second);
      }
      summaries.refused("vm-8", Limit.DNS_QPS, 5_100, second -> "other@" + second);
      summaries.refused("vm-7", Limit.OPEN_CONNECTIONS, 5_100, second -> "open@" + second);
      summaries.flush(6);
      assertEquals(3, out.size()); // second 5 only
    }
    out.sort(Comparator.comparing(RefusalSummaries.Summary::first));
    assertEquals("[first@5000 5000 dns_qps, first@6000 5000 dns_qps, open@5000 1 open_connections, other@5000 1 dns_qps]",
        out.stream().map(s -> s.first() + " " + s.count() + " " + s.limit().key()).toList().toString());
  }
}
