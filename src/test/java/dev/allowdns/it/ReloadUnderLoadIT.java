package dev.allowdns.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allowdns.testing.RequiresPrograms;
import dev.allowdns.testing.ResolverStackExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A hundred reloads while dnsperf keeps the resolver busy: no query may fail or time out, so a
 * reload never drops a query or answers from a half-loaded policy.
 */
@RequiresPrograms({"knotd", "dnsperf"})
class ReloadUnderLoadIT {
  @RegisterExtension static final ResolverStackExtension stack = new ResolverStackExtension();

  @Test
  void hundredReloadsUnderLoad_noQueryFailsOrIsLost() throws Exception {
    Path queries = Files.createTempFile("allowdns-reload", ".txt");
    Files.writeString(queries, "www.it.test A\ndual.it.test AAAA\nchain-a.it.test A\ntxt.it.test TXT\n");
    Path extra = stack.allowdns().zonesDir().resolve("flapping.zone");
    HttpClient http = HttpClient.newHttpClient();
    URI reload = URI.create("http://" + stack.allowdns().adminAddress() + "/reload");
    // Bounded: at most 2,000 queries a second for 12 seconds, 2 s timeout per query.
    Process dnsperf =
        new ProcessBuilder(
                "dnsperf", "-s", "127.0.0.1", "-p", Integer.toString(stack.allowdns().port()),
                "-d", queries.toString(), "-l", "12", "-Q", "2000", "-t", "2", "-q", "50")
            .redirectErrorStream(true)
            .start();
    try {
      Thread.sleep(1_000);
      for (int i = 0; i < 100; i++) {
        // Each reload changes the policy, so every one swaps generations and drops the cache.
        if (i % 2 == 0) {
          Files.writeString(extra, "flap" + i + ".it.test\n");
        } else {
          Files.deleteIfExists(extra);
        }
        HttpResponse<String> response =
            http.send(HttpRequest.newBuilder(reload).POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode(), response::body);
        Thread.sleep(60);
      }
      assertTrue(dnsperf.waitFor(30, TimeUnit.SECONDS), "dnsperf did not finish");
      String report = new String(dnsperf.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertEquals(0, number(report, "Queries lost:\\s+(\\d+)"), report);
      long completed = number(report, "Queries completed:\\s+(\\d+)");
      assertTrue(completed > 10_000, report);
      assertTrue(report.matches("(?s).*Response codes:\\s+NOERROR " + completed + " \\(100\\.00%\\).*"), report);
    } finally {
      dnsperf.destroy();
      Files.deleteIfExists(extra);
      Files.deleteIfExists(queries);
    }
  }

  private static long number(String report, String regex) {
    Matcher m = Pattern.compile(regex).matcher(report);
    assertTrue(m.find(), "no " + regex + " in: " + report);
    return Long.parseLong(m.group(1));
  }
}
