package dev.allowdns.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.allowdns.audit.QueryRecord;
import dev.allowdns.sandbox.Sandbox;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class AskersTest {
  private static final InetAddress CLIENT = address("172.16.0.2");
  private final Askers askers = new Askers();

  private static InetAddress address(String text) {
    try {
      return InetAddress.getByName(text);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void of_sameClientAndSandbox_isEncodedOnce() {
    Sandbox vm = new Sandbox("vm-7", "task_abc", "dev@example.com", "default");
    QueryRecord.Asker first = askers.of(vm, CLIENT);
    assertSame(first, askers.of(new Sandbox("vm-7", "task_abc", "dev@example.com", "default"), address("172.16.0.2")));
    assertEquals("task_abc", first.taskId());
  }

  @Test
  void of_clientNowAnotherSandboxOrTask_getsItsNewFields() {
    QueryRecord.Asker first = askers.of(new Sandbox("vm-7", "task_abc", null, "default"), CLIENT);
    QueryRecord.Asker second = askers.of(new Sandbox("vm-7", "task_def", null, "default"), CLIENT);
    QueryRecord.Asker third = askers.of(new Sandbox("vm-8", "task_def", null, "default"), CLIENT);
    assertNotSame(first, second);
    assertEquals("task_def", second.taskId());
    assertEquals("vm-8", third.sandbox());
  }

  @Test
  void of_unknownClient_hasNoSandboxFields() {
    QueryRecord.Asker unknown = askers.of(null, CLIENT);
    assertNull(unknown.sandbox());
    assertEquals(CLIENT, unknown.client());
  }

  @Test
  void of_moreClientsThanKept_stillAnswersEach() {
    Sandbox vm = new Sandbox("vm-7", null, null, "default");
    for (int i = 0; i <= Askers.MAX_CLIENTS; i++) {
      InetAddress client = address("10.0." + (i >> 8) + "." + (i & 0xff));
      assertEquals(client, askers.of(vm, client).client());
    }
  }
}
