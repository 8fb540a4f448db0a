package dev.allowdns.limit;

import java.util.concurrent.atomic.AtomicInteger;

/** What one sandbox has used of its budget. Thread-safe; about 200 bytes until it counts names. */
final class SandboxState {
  final TokenBucket queries = new TokenBucket();
  final TokenBucket connections = new TokenBucket();
  final TokenBucket up = new TokenBucket();
  final TokenBucket down = new TokenBucket();
  final AtomicInteger open = new AtomicInteger();
  final NameBudget names = new NameBudget();

  TokenBucket bandwidth(Direction direction) {
    return direction == Direction.UP ? up : down;
  }
}
