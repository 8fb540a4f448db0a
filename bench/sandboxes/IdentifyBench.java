import dev.allowdns.config.Cidr;
import dev.allowdns.sandbox.Sandbox;
import dev.allowdns.sandbox.Sandboxes;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * How long identifying a client takes with N registered sandboxes (one /32 each, as a host with
 * one address per microVM has). Every query and every relayed connection does this once.
 *
 * <p>Run: {@code java -cp target/allowdns.jar bench/sandboxes/IdentifyBench.java 10 1000 5000}.
 * Each size runs four rounds of one second; the last round is printed.
 */
public final class IdentifyBench {
  public static void main(String[] args) throws UnknownHostException {
    for (String arg : args.length == 0 ? new String[] {"10", "1000", "5000"} : args) {
      int n = Integer.parseInt(arg);
      List<Sandboxes.Entry> entries = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        entries.add(
            new Sandboxes.Entry(new Cidr(address(i), 32), new Sandbox("vm-" + i, null, null, "default")));
      }
      Sandboxes sandboxes = Sandboxes.of(entries, "default");
      InetAddress[] clients = new InetAddress[1024];
      Random random = new Random(1);
      for (int i = 0; i < clients.length; i++) {
        clients[i] = address(random.nextInt(n));
      }
      long nanosPerCall = 0;
      for (int round = 0; round < 4; round++) {
        long start = System.nanoTime();
        long calls = 0;
        while (System.nanoTime() - start < 1_000_000_000L) {
          for (InetAddress client : clients) {
            if (sandboxes.identify(client).isEmpty()) {
              throw new IllegalStateException("not identified: " + client);
            }
            calls++;
          }
        }
        nanosPerCall = (System.nanoTime() - start) / calls;
      }
      System.out.println(n + " sandboxes: " + nanosPerCall + " ns per identify");
    }
  }

  private static InetAddress address(int i) throws UnknownHostException {
    return InetAddress.getByAddress(new byte[] {10, (byte) (i >> 16), (byte) (i >> 8), (byte) i});
  }
}
