package dev.allowdns.e2e;

import static dev.allowdns.e2e.LimitsWorld.BULK_PORT;
import static dev.allowdns.e2e.LimitsWorld.BULK_SENDS;
import static dev.allowdns.e2e.LimitsWorld.SMALL_PORT;
import static dev.allowdns.e2e.LimitsWorld.SMALL_SENDS;
import static dev.allowdns.e2e.LimitsWorld.TIGHT_BYTES_PER_SECOND;
import static dev.allowdns.e2e.LimitsWorld.WWW_HOST;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.allowdns.testing.ChildProcess;
import dev.allowdns.testing.netns.AllowdnsInNamespace;
import dev.allowdns.testing.netns.Output;
import dev.allowdns.testing.netns.RequiresNetworkNamespaces;
import dev.allowdns.testing.netns.SandboxTopology;
import java.nio.file.Files;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Bandwidth end to end ({@link LimitsWorld}): vm-a's downloads and uploads take their time at
 * {@code 16Mbit} within ±10%, with exact bytes in the records (by the byte service and by curl),
 * while vm-b's download at the same time is not slowed; a reload that sets a bandwidth shapes a
 * connection already open.
 */
@RequiresNetworkNamespaces(
    programs = {"ip", "iptables", "nginx", "curl", "python3", "openssl"},
    packages = {"iproute2", "iptables", "nginx", "curl", "python3", "openssl"})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RelayBandwidthIT {
  private static LimitsWorld world;
  /** The world's, short for the tests. */
  private static SandboxTopology topology;
  private static AllowdnsInNamespace allowdns;
  private static String vmA;
  private static String vmB;

  @BeforeAll
  static void startTheWorld() throws Exception {
    world = new LimitsWorld();
    world.start();
    topology = world.topology();
    allowdns = world.allowdns();
    vmA = world.vmA();
    vmB = world.vmB();
  }

  @AfterAll
  static void tearDown() {
    world.close();
  }

  @Test
  @Order(4)
  void download_isShapedToBandwidthDown_exactBytesRecorded_andVmBIsNotSlowed() throws Exception {
    double shapedBefore = world.metric("allowdns_limit_shaped_seconds_total\\{direction=\"down\",policy=\"tight\"\\}");
    ChildProcess a = world.transfer(vmA, BULK_PORT, 0);
    Thread.sleep(300); // vm-a's download is under way, shaped
    JsonNode b = world.event(world.transfer(vmB, BULK_PORT, 0), "done");
    JsonNode aDone = world.event(a, "done");
    assertEquals(BULK_SENDS, aDone.path("received").asInt(), aDone.toString());
    assertEquals(BULK_SENDS, b.path("received").asInt(), b.toString());
    // The first second's worth is the bucket's burst; the rest comes at the rate.
    double expected = (BULK_SENDS - TIGHT_BYTES_PER_SECOND) / TIGHT_BYTES_PER_SECOND;
    LimitsWorld.assertWithinTenPercent(expected, aDone.path("seconds").asDouble(), "vm-a's shaped download " + aDone + world.limitMetrics());
    assertTrue(b.path("seconds").asDouble() < expected / 2, "vm-b not slowed by vm-a's shaping: " + b);

    JsonNode aRecord = world.awaitRecord(r -> world.isTransfer(r, "vm-a", BULK_PORT));
    assertEquals(BULK_SENDS, aRecord.path("bytes_received").asLong(), aRecord.toString());
    assertEquals(0, aRecord.path("bytes_sent").asLong(), aRecord.toString());
    JsonNode bRecord = world.awaitRecord(r -> world.isTransfer(r, "vm-b", BULK_PORT));
    assertEquals(BULK_SENDS, bRecord.path("bytes_received").asLong(), bRecord.toString());
    double shaped = world.metric("allowdns_limit_shaped_seconds_total\\{direction=\"down\",policy=\"tight\"\\}") - shapedBefore;
    LimitsWorld.assertWithinTenPercent(expected, shaped, "shaped seconds counted");
  }

  @Test
  @Order(5)
  void upload_isShapedToBandwidthUp_withExactBytesRecorded() throws Exception {
    JsonNode done = world.event(world.transfer(vmA, SMALL_PORT, BULK_SENDS), "done");
    assertEquals(BULK_SENDS, done.path("sent").asInt(), done.toString());
    assertEquals(SMALL_SENDS, done.path("received").asInt(), done.toString());
    double expected = (BULK_SENDS - TIGHT_BYTES_PER_SECOND) / TIGHT_BYTES_PER_SECOND;
    LimitsWorld.assertWithinTenPercent(expected, done.path("seconds").asDouble(), "vm-a's shaped upload " + done + world.limitMetrics());
    JsonNode record = world.awaitRecord(r -> world.isTransfer(r, "vm-a", SMALL_PORT) && r.path("bytes_sent").asLong() > 0);
    assertEquals(BULK_SENDS, record.path("bytes_sent").asLong(), record.toString());
    assertEquals(SMALL_SENDS, record.path("bytes_received").asLong(), record.toString());
  }

  @Test
  @Order(7)
  void reload_thatSetsABandwidth_shapesAConnectionAlreadyOpen() throws Exception {
    world.reload(world.config(2, "0"));
    ChildProcess upload = world.transfer(vmA, SMALL_PORT, BULK_SENDS, 3); // opened unlimited, sends at 3 s
    Thread.sleep(1_000);
    world.reload(world.config(2, "16Mbit"));
    JsonNode done = world.event(upload, "done");
    assertEquals(BULK_SENDS, done.path("sent").asInt(), done.toString());
    double expected = (BULK_SENDS - TIGHT_BYTES_PER_SECOND) / TIGHT_BYTES_PER_SECOND;
    LimitsWorld.assertWithinTenPercent(expected, done.path("seconds").asDouble(), "the open connection's upload " + done + world.limitMetrics());
    // The upload of order 5 has the same shape: this one is the connection that lasted the wait.
    JsonNode record = world.awaitRecord(r -> world.isTransfer(r, "vm-a", SMALL_PORT) && r.path("bytes_sent").asLong() == BULK_SENDS
        && r.path("duration_ms").asLong() >= 3_000);
    assertEquals(SMALL_SENDS, record.path("bytes_received").asLong(), record.toString());
  }

  @Test
  @Order(8)
  void curlDownload_isShapedToBandwidthDown_withTheBytesCurlCounted_andVmBIsNotSlowed() throws Exception {
    Files.write(world.web().files().resolve("bulk.bin"), new byte[BULK_SENDS]);
    String url = "http://" + topology.internetV4(WWW_HOST) + "/files/bulk.bin";
    String[] args = {"-o", "/dev/null", "-w", "%{size_download} %{size_header} %{size_request} %{time_starttransfer} %{time_total}", url};
    CompletableFuture<Output> a = CompletableFuture.supplyAsync(() -> world.curl(vmA, args));
    Thread.sleep(300); // vm-a's download is under way, shaped
    Output b = world.curl(vmB, args);
    Output aOut = a.get();
    assertTrue(aOut.succeeded() && b.succeeded(), aOut.describe() + "\n" + b.describe());
    String[] aw = aOut.stdout().strip().split(" ");
    String[] bw = b.stdout().strip().split(" ");
    assertEquals(BULK_SENDS, Long.parseLong(aw[0]), aOut.stdout());
    // Shaped from the first byte: the bucket's second of burst, then the rate.
    double seconds = Double.parseDouble(aw[4]) - Double.parseDouble(aw[3]);
    long received = Long.parseLong(aw[0]) + Long.parseLong(aw[1]);
    double expected = (received - TIGHT_BYTES_PER_SECOND) / TIGHT_BYTES_PER_SECOND;
    LimitsWorld.assertWithinTenPercent(expected, seconds, "vm-a's curl download " + aOut.stdout() + world.limitMetrics());
    assertTrue(Double.parseDouble(bw[4]) < expected / 2, "vm-b not slowed by vm-a's shaping: " + b.stdout());

    JsonNode record = world.awaitRecord(r -> "vm-a".equals(r.path("sandbox").asText()) && r.path("port").asInt() == 80
        && r.path("bytes_received").asLong() > BULK_SENDS);
    assertEquals(received, record.path("bytes_received").asLong(), "what curl received, headers and body: " + record);
    assertEquals(Long.parseLong(aw[2]), record.path("bytes_sent").asLong(), "what curl sent: " + record);
  }
}
