package dev.allowdns.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TargetTest {
  private static Target of(HttpMethod method, String uri) throws Target.BadTarget {
    return Target.of(new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, uri));
  }

  @Test
  void connect_nameIsNormalisedAsRulesMatchIt() throws Exception {
    Target t = of(HttpMethod.CONNECT, "Registry.NPMJS.org.:443");
    assertEquals("registry.npmjs.org", t.host());
    assertEquals(443, t.port());
    assertNull(t.address());
  }

  @Test
  void connect_ipv6Literal_isAnAddress() throws Exception {
    Target t = of(HttpMethod.CONNECT, "[2001:db8::1]:443");
    assertEquals("2001:db8::1", t.host());
    assertEquals("[2001:db8::1]:443", t.authority());
  }

  @Test
  void absoluteForm_keepsPathAndQueryForTheDestination() throws Exception {
    Target t = of(HttpMethod.GET, "http://www.example.com/a/b?c=d");
    assertEquals("www.example.com", t.host());
    assertEquals(80, t.port());
    assertEquals("/a/b?c=d", t.originForm());
  }

  @ParameterizedTest
  @ValueSource(strings = {"/origin-form", "https://www.example.com/", "http:///nohost", "ftp://a.example/",
      "http://a.example:442442/", "http://a.example:0/"})
  void badRequests_areRejected(String uri) {
    assertThrows(Target.BadTarget.class, () -> of(HttpMethod.GET, uri));
  }

  @ParameterizedTest
  @ValueSource(strings = {"a.example", "a.example:0", "a.example:70000", "bad!name:443"})
  void badConnects_areRejected(String authority) {
    assertThrows(Target.BadTarget.class, () -> of(HttpMethod.CONNECT, authority));
  }
}
