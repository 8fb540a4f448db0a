package dev.allowdns.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.net.InetAddresses;
import dev.allowdns.config.Cidr;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SandboxRegistryTest {
  private static final List<Sandboxes.Entry> FROM_CONFIG =
      List.of(new Sandboxes.Entry(Cidr.parse("172.16.0.2/32"), new Sandbox("vm-7", null, null, "default")));

  @TempDir Path state;

  private String idOf(SandboxRegistry registry, String ip) {
    return registry.current().identify(InetAddresses.forString(ip)).map(Sandbox::id).orElse("none");
  }

  @Test
  void registered_survivesARestart_andConfigSandboxesStayAsTheyAre() throws IOException {
    SandboxRegistry registry = SandboxRegistry.open(state, FROM_CONFIG, "default");
    registry.add(new SandboxRegistry.Registration("10.0.0.9/32", "vm-9", "t9", "u9", "strict"));
    assertEquals("vm-9", idOf(registry, "10.0.0.9"));

    SandboxRegistry restarted = SandboxRegistry.open(state, FROM_CONFIG, "default");
    assertEquals("vm-9", idOf(restarted, "10.0.0.9"));
    assertEquals("strict", restarted.current().identify(InetAddresses.forString("10.0.0.9")).orElseThrow().policy());
    assertEquals("vm-7", idOf(restarted, "172.16.0.2"));
    assertEquals(1, restarted.registered().size());
  }

  @Test
  void remove_dropsEveryNetworkOfTheId_andIsSaved() throws IOException {
    SandboxRegistry registry = SandboxRegistry.open(state, FROM_CONFIG, "default");
    registry.add(new SandboxRegistry.Registration("10.0.0.9/32", "vm-9", null, null, null));
    registry.add(new SandboxRegistry.Registration("fd00::9/128", "vm-9", null, null, null));
    assertEquals(2, registry.remove("vm-9"));
    assertEquals(0, registry.remove("vm-9"));
    assertEquals("none", idOf(SandboxRegistry.open(state, FROM_CONFIG, "default"), "10.0.0.9"));
  }

  @Test
  void add_aConfigNetworkOrABadOne_isRefusedAndNothingIsSaved() throws IOException {
    SandboxRegistry registry = SandboxRegistry.open(state, FROM_CONFIG, "default");
    assertThrows(
        IllegalArgumentException.class,
        () -> registry.add(new SandboxRegistry.Registration("172.16.0.2/32", "other", null, null, null)));
    assertThrows(
        IllegalArgumentException.class,
        () -> registry.add(new SandboxRegistry.Registration("10.0.0.1/99", "bad", null, null, null)));
    assertTrue(Files.notExists(state.resolve("sandboxes.json")));
  }

  @Test
  void save_leavesNoTemporaryFiles() throws IOException {
    SandboxRegistry registry = SandboxRegistry.open(state, FROM_CONFIG, "default");
    registry.add(new SandboxRegistry.Registration("10.0.0.9/32", "vm-9", null, null, null));
    try (Stream<Path> files = Files.list(state)) {
      assertEquals(List.of("sandboxes.json"), files.map(p -> p.getFileName().toString()).toList());
    }
  }

  @Test
  void open_corruptStateFile_isAClearError() throws IOException {
    Files.writeString(state.resolve("sandboxes.json"), "[{\"id\":");
    IOException e = assertThrows(IOException.class, () -> SandboxRegistry.open(state, FROM_CONFIG, "default"));
    assertTrue(e.getMessage().contains("sandboxes.json"), e.getMessage());
  }
}
