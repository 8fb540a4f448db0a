import dev.allowdns.identity.ProcessOwner;
import dev.allowdns.identity.SocketOwners;
import dev.allowdns.sandbox.Sandbox;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * What naming the process of a refused connection costs: the time from asking to having the
 * owner, through the lookup threads and /proc scan a refusal uses. The sandbox is a network
 * namespace made for the run ({@code ip netns add}), where a python3 process holds a connected
 * TCP socket (to itself, over the namespace's loopback), as a sandbox's client would.
 *
 * <p>Run (root): {@code java -cp target/allowdns.jar bench/identity/LookupBench.java [LOOKUPS]}.
 * Prints the processes on the host (the scan reads every /proc/PID/ns/net), the first (cold)
 * lookup, p50/p90/p99/max of the rest and the CPU time of this JVM per lookup. The namespace and
 * the python process are removed at the end.
 */
public final class LookupBench {
  private static final String PYTHON =
      "import socket,sys,time\n"
          + "s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen(1)\n"
          + "c=socket.create_connection(s.getsockname()); a,_=s.accept()\n"
          + "print(c.getsockname()[1], s.getsockname()[1], flush=True)\n"
          + "time.sleep(600)\n";

  public static void main(String[] args) throws Exception {
    int lookups = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    String netns = "allowdns-bench-" + ProcessHandle.current().pid();
    run("ip", "netns", "add", netns);
    Process holder = null;
    try {
      run("ip", "-n", netns, "link", "set", "lo", "up");
      holder = new ProcessBuilder("ip", "netns", "exec", netns, "python3", "-c", PYTHON).start();
      String[] ports =
          new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8))
              .readLine().split(" ");
      InetSocketAddress local = new InetSocketAddress("127.0.0.1", Integer.parseInt(ports[0]));
      InetSocketAddress remote = new InetSocketAddress("127.0.0.1", Integer.parseInt(ports[1]));
      measure(lookups, new Sandbox("bench", null, null, "default", "/run/netns/" + netns), local, remote,
          holder.pid());
    } finally {
      if (holder != null) {
        holder.destroy();
        holder.waitFor(5, TimeUnit.SECONDS);
      }
      run("ip", "netns", "del", netns);
    }
  }

  private static void measure(
      int lookups, Sandbox sandbox, InetSocketAddress local, InetSocketAddress remote, long holderPid)
      throws Exception {
    int processes = new File("/proc").list((dir, name) -> Character.isDigit(name.charAt(0))).length;
    var cpu = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    try (SocketOwners owners = SocketOwners.start(false, false, Duration.ofSeconds(5))) {
      Thread.sleep(500); // the lookup threads' own warm-up, as allowdns does at start
      long[] micros = new long[lookups];
      long cpuBefore = 0;
      for (int i = 0; i < lookups; i++) {
        if (i == 1) {
          cpuBefore = cpu.getProcessCpuTime();
        }
        long start = System.nanoTime();
        ProcessOwner owner = owners.find(sandbox, SocketOwners.Transport.TCP, local, remote).get();
        micros[i] = (System.nanoTime() - start) / 1000;
        if (owner == null || owner.pid() != holderPid) {
          throw new IllegalStateException("lookup " + i + " found " + owner + ", not " + holderPid);
        }
      }
      long cpuMicros = (cpu.getProcessCpuTime() - cpuBefore) / 1000 / (lookups - 1);
      long[] warm = Arrays.copyOfRange(micros, 1, lookups);
      Arrays.sort(warm);
      System.out.printf(
          "%d processes on the host; %d lookups: first %d us; then p50 %d us, p90 %d us,"
              + " p99 %d us, max %d us; CPU %d us per lookup; load average %.1f%n",
          processes, lookups, micros[0], pct(warm, 50), pct(warm, 90), pct(warm, 99),
          warm[warm.length - 1], cpuMicros, cpu.getSystemLoadAverage());
    }
  }

  private static long pct(long[] sorted, int p) {
    return sorted[Math.min(sorted.length - 1, sorted.length * p / 100)];
  }

  private static void run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).inheritIO().start();
    if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed");
    }
  }
}
