package dev.allowdns.dns;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.allowdns.config.HostPort;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

class AnswerCacheTest {
  private static final long SECOND = 1_000_000_000L;
  private static final Route ROUTE = route("192.0.2.53", false);

  private static Route route(String server, boolean allowPrivate) {
    try {
      HostPort upstream = new HostPort(InetAddress.getByName(server), 53);
      return new Route(new UpstreamGroup(List.of(upstream), Duration.ofSeconds(1), null, null, null), allowPrivate, false);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static CachedAnswer answer(long ttl) throws Exception {
    Name name = Name.fromConstantString("a.test.");
    Message reply = new Message();
    reply.addRecord(new ARecord(name, DClass.IN, ttl, InetAddress.getByName("192.0.2.1")), Section.ANSWER);
    return CachedAnswer.of(Record.newRecord(name, Type.A, DClass.IN), reply, "192.0.2.53:53", 0);
  }

  @Test
  void key_sameQuestionOnAnEqualRoute_isEqualWithTheSameHash() {
    var one = new AnswerCache.Key("a.test", Type.A, DClass.IN, ROUTE);
    var other = new AnswerCache.Key(new String("a.test"), Type.A, DClass.IN, route("192.0.2.53", false));
    assertEquals(one, other);
    assertEquals(one.hashCode(), other.hashCode());
  }

  @Test
  void key_otherNameTypeClassOrRoute_isNotEqual() {
    var key = new AnswerCache.Key("a.test", Type.A, DClass.IN, ROUTE);
    assertNotEquals(key, new AnswerCache.Key("b.test", Type.A, DClass.IN, ROUTE));
    assertNotEquals(key, new AnswerCache.Key("a.test", Type.AAAA, DClass.IN, ROUTE));
    assertNotEquals(key, new AnswerCache.Key("a.test", Type.A, DClass.CH, ROUTE));
    assertNotEquals(key, new AnswerCache.Key("a.test", Type.A, DClass.IN, route("192.0.2.54", false)));
    assertNotEquals(key, new AnswerCache.Key("a.test", Type.A, DClass.IN, route("192.0.2.53", true)));
  }

  @Test
  void get_whileTheTtlLasts_answersFromTheCacheAtOnce() throws Exception {
    AtomicLong now = new AtomicLong();
    AnswerCache cache = new AnswerCache(100, Duration.ofHours(1), now::get);
    AtomicInteger fetches = new AtomicInteger();
    CachedAnswer upstream = answer(60);
    var key = new AnswerCache.Key("a.test", Type.A, DClass.IN, ROUTE);
    cache.get(key, k -> {
      fetches.incrementAndGet();
      return CompletableFuture.completedFuture(upstream);
    }).join();

    now.set(59 * SECOND);
    CompletableFuture<AnswerCache.Lookup> hit =
        cache.get(new AnswerCache.Key("a.test", Type.A, DClass.IN, ROUTE), k -> {
          fetches.incrementAndGet();
          return new CompletableFuture<>();
        });

    assertTrue(hit.isDone());
    assertSame(upstream, hit.join().answer());
    assertTrue(hit.join().cached());
    assertFalse(hit.join().stale());
    assertEquals(1, fetches.get());
  }
}
