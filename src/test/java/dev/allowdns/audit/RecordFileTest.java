package dev.allowdns.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecordFileTest {
  @TempDir Path dir;

  /** A clock the test moves. */
  private static final class StepClock extends Clock {
    Instant now = Instant.parse("2026-04-21T23:59:00Z");

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @Test
  void rotateIfDue_onANewDay_renamesTheFileWithTheDayItWasBegun() throws Exception {
    StepClock clock = new StepClock();
    RecordFile file = new RecordFile(dir.resolve("queries.jsonl"), 1 << 20, clock);
    file.rotateIfDue();
    file.write(bytes("{\"day\":21}\n"));
    clock.now = Instant.parse("2026-04-22T00:00:01Z");
    file.rotateIfDue();
    file.write(bytes("{\"day\":22}\n"));
    file.close();

    assertEquals("{\"day\":21}\n", Files.readString(dir.resolve("queries.2026-04-21.0.jsonl")));
    assertEquals("{\"day\":22}\n", Files.readString(dir.resolve("queries.jsonl")));
  }

  @Test
  void rotateIfDue_whenFull_takesTheNextFreeNumberOfTheDay() throws Exception {
    StepClock clock = new StepClock();
    Files.writeString(dir.resolve("queries.2026-04-21.0.jsonl.gz"), "earlier run");
    RecordFile file = new RecordFile(dir.resolve("queries.jsonl"), 10, clock);
    for (int i = 0; i < 3; i++) {
      file.rotateIfDue();
      file.write(bytes("{\"i\":" + i + ",\"pad\":1}\n"));
    }
    file.close();

    assertEquals("{\"i\":0,\"pad\":1}\n", Files.readString(dir.resolve("queries.2026-04-21.1.jsonl")));
    assertEquals("{\"i\":1,\"pad\":1}\n", Files.readString(dir.resolve("queries.2026-04-21.2.jsonl")));
    assertEquals("{\"i\":2,\"pad\":1}\n", Files.readString(dir.resolve("queries.jsonl")));
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(4, files.count());
    }
  }

  private static ByteBuffer bytes(String text) {
    return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
  }
}
