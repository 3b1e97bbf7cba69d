// The Curator 5.4 side of the recipe benchmark (bench/recipes/contract.ts): one JVM, one thread per
// contender, each thread with its own CuratorFramework (its own session). Compiled by the runner
// with javac into .build/ against the jars in /usr/share/java.
// `java CuratorDriver '<DriverConfig JSON>'`, or `java CuratorDriver clock` for the clock check.
//
// Recipes: InterProcessMutex (lock), LeaderLatch (election), SharedCount or DistributedAtomicLong
// (counter, by `variant`), DistributedQueue with a lock path (queue: Curator's closest match to a
// LockingQueue, where a message is removed only after its consumer returns).

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.atomic.AtomicValue;
import org.apache.curator.framework.recipes.atomic.DistributedAtomicLong;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.queue.DistributedQueue;
import org.apache.curator.framework.recipes.queue.QueueBuilder;
import org.apache.curator.framework.recipes.queue.QueueConsumer;
import org.apache.curator.framework.recipes.queue.QueueSerializer;
import org.apache.curator.framework.recipes.shared.SharedCount;
import org.apache.curator.framework.recipes.shared.VersionedValue;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

public final class CuratorDriver {
  private static final int SESSION_TIMEOUT_MS = 10_000;

  private static Map<String, String> config;
  private static long base;
  private static long end;

  private static long now() {
    return System.nanoTime() - base;
  }

  private static String str(String key) {
    return config.get(key);
  }

  private static int num(String key) {
    return Integer.parseInt(config.get(key));
  }

  /** The flat DriverConfig object: string and number values only. */
  private static Map<String, String> parse(String json) {
    Map<String, String> map = new TreeMap<>();
    Matcher m = Pattern.compile("\"(\\w+)\"\\s*:\\s*(?:\"([^\"]*)\"|(-?[0-9.]+))").matcher(json);
    while (m.find()) map.put(m.group(1), m.group(2) != null ? m.group(2) : m.group(3));
    return map;
  }

  private static CuratorFramework connect() throws Exception {
    CuratorFramework client =
        CuratorFrameworkFactory.newClient(str("connectString"), SESSION_TIMEOUT_MS, 20_000, new RetryNTimes(3, 100));
    client.start();
    if (!client.blockUntilConnected(20, TimeUnit.SECONDS)) throw new IllegalStateException("no connection");
    return client;
  }

  // What the threads measure, guarded by `out`.
  private static final Object out = new Object();
  private static final List<long[]> grants = new ArrayList<>();
  private static int overlaps = 0;
  private static final List<Long> elected = new ArrayList<>();
  private static final List<Long> resigned = new ArrayList<>();
  private static long[] increments;
  private static long[] retries;
  private static final Map<String, Integer> produced = new TreeMap<>();
  private static final List<String> consumed = new ArrayList<>();

  interface Loop {
    CuratorFramework run(CuratorFramework client, int index, int slot) throws Exception;
  }

  private static CuratorFramework lockLoop(CuratorFramework client, int index, int slot) throws Exception {
    InterProcessMutex mutex = new InterProcessMutex(client, str("path"));
    String counter = str("counterPath");
    while (now() < end) {
      mutex.acquire();
      long grant = now();
      Stat stat = new Stat();
      byte[] data = client.getData().storingStatIn(stat).forPath(counter);
      int value = Integer.parseInt(new String(data, StandardCharsets.US_ASCII));
      try {
        client.setData().withVersion(stat.getVersion()).forPath(counter, String.valueOf(value + 1).getBytes(StandardCharsets.US_ASCII));
      } catch (KeeperException.BadVersionException e) {
        synchronized (out) {
          overlaps++;
        }
      }
      long release = now();
      mutex.release();
      synchronized (out) {
        grants.add(new long[] {grant, release});
      }
    }
    return client;
  }

  private static CuratorFramework electionLoop(CuratorFramework client, int index, int slot) throws Exception {
    boolean closing = str("workload").equals("election-close");
    while (now() < end) {
      LeaderLatch latch = new LeaderLatch(client, str("path"), "candidate-" + index);
      Semaphore leading = new Semaphore(0);
      // Called on Curator's event thread: note the time and hand over to this contender's thread.
      latch.addListener(new LeaderLatchListener() {
        @Override
        public void isLeader() {
          synchronized (out) {
            elected.add(now());
          }
          leading.release();
        }

        @Override
        public void notLeader() {}
      });
      latch.start();
      boolean led = false;
      while (!led && now() < end) led = leading.tryAcquire(10, TimeUnit.MILLISECONDS);
      if (!led) {
        latch.close();
        break;
      }
      Thread.sleep(num("holdMs"));
      synchronized (out) {
        resigned.add(now());
      }
      if (closing) {
        client.close();
        client = connect();
      } else {
        latch.close();
      }
    }
    return client;
  }

  private static CuratorFramework counterLoop(CuratorFramework client, int index, int slot) throws Exception {
    if ("atomic".equals(str("variant"))) {
      DistributedAtomicLong counter = new DistributedAtomicLong(client, str("path"), new RetryNTimes(1000, 0));
      while (now() < end) {
        AtomicValue<Long> result = counter.increment();
        int tries = result.getStats().getOptimisticTries();
        if (result.succeeded()) increments[slot]++;
        retries[slot] += Math.max(0, tries - 1);
      }
      return client;
    }
    SharedCount counter = new SharedCount(client, str("path"), 0);
    counter.start();
    while (now() < end) {
      VersionedValue<Integer> current = counter.getVersionedValue();
      if (counter.trySetCount(current, current.getValue() + 1)) increments[slot]++;
      else retries[slot]++;
    }
    counter.close();
    return client;
  }

  private static final QueueSerializer<String> STRINGS = new QueueSerializer<String>() {
    @Override
    public byte[] serialize(String item) {
      return item.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String deserialize(byte[] bytes) {
      return new String(bytes, StandardCharsets.UTF_8);
    }
  };

  private static CuratorFramework queueLoop(CuratorFramework client, int index, int slot) throws Exception {
    boolean producer = index < num("total") / 2;
    QueueConsumer<String> consumer = producer ? null : new QueueConsumer<String>() {
      @Override
      public void consumeMessage(String item) {
        synchronized (out) {
          consumed.add(item);
        }
      }

      @Override
      public void stateChanged(CuratorFramework c, ConnectionState state) {}
    };
    DistributedQueue<String> queue = QueueBuilder.builder(client, consumer, STRINGS, str("path"))
        .lockPath(str("path") + "-locks")
        .putInBackground(false)
        .buildQueue();
    queue.start();
    if (producer) {
      int n = 0;
      while (now() < end) {
        queue.put(index + "-" + n);
        n++;
        synchronized (out) {
          produced.put(String.valueOf(index), n);
        }
      }
    } else {
      long left = end - now();
      if (left > 0) Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
    }
    queue.close();
    return client;
  }

  public static void main(String[] args) throws Exception {
    if (args[0].equals("clock")) {
      System.out.println(System.nanoTime());
      return;
    }
    config = parse(args[0]);
    base = Long.parseLong(str("baseNs"));
    int contenders = num("contenders");
    CuratorFramework[] clients = new CuratorFramework[contenders];
    for (int i = 0; i < contenders; i++) clients[i] = connect();
    increments = new long[contenders];
    retries = new long[contenders];
    String counterPath = str("counterPath");
    List<Long> rtt = new ArrayList<>();
    for (int i = 0; i < num("rttSamples"); i++) {
      long start = now();
      clients[0].getData().forPath(counterPath);
      rtt.add(now() - start);
    }
    String workload = str("workload");
    Loop loop;
    switch (workload) {
      case "lock": loop = CuratorDriver::lockLoop; break;
      case "counter": loop = CuratorDriver::counterLoop; break;
      case "queue": loop = CuratorDriver::queueLoop; break;
      default: loop = CuratorDriver::electionLoop;
    }
    System.out.println("READY");
    System.out.flush();
    String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
    if (line == null || !line.startsWith("GO ")) throw new IllegalStateException("expected GO, got " + line);
    end = Long.parseLong(line.substring(3)) - base;
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    long cpuBefore = os.getProcessCpuTime();
    List<String> errors = Collections.synchronizedList(new ArrayList<>());
    Thread[] threads = new Thread[contenders];
    int first = num("firstIndex");
    for (int i = 0; i < contenders; i++) {
      final int slot = i;
      threads[i] = new Thread(() -> {
        try {
          clients[slot] = loop.run(clients[slot], first + slot, slot);
        } catch (Exception e) {
          errors.add(e.toString());
        }
      });
      threads[i].start();
    }
    for (Thread t : threads) t.join();
    long cpuNs = os.getProcessCpuTime() - cpuBefore;
    for (CuratorFramework c : clients) c.close();
    if (!errors.isEmpty()) {
      System.err.println("curator driver: " + String.join("; ", errors));
      System.exit(1);
    }
    StringBuilder json = new StringBuilder("{\"rttNs\":").append(rtt).append(",\"cpuNs\":").append(cpuNs);
    switch (workload) {
      case "lock":
        json.append(",\"overlaps\":").append(overlaps).append(",\"grants\":[");
        for (int i = 0; i < grants.size(); i++)
          json.append(i == 0 ? "" : ",").append('[').append(grants.get(i)[0]).append(',').append(grants.get(i)[1]).append(']');
        json.append(']');
        break;
      case "counter":
        json.append(",\"increments\":").append(java.util.Arrays.toString(increments));
        json.append(",\"retries\":").append(java.util.Arrays.toString(retries));
        break;
      case "queue":
        json.append(",\"produced\":{");
        int k = 0;
        for (Map.Entry<String, Integer> e : produced.entrySet())
          json.append(k++ == 0 ? "" : ",").append('"').append(e.getKey()).append("\":").append(e.getValue());
        json.append("},\"consumed\":[");
        for (int i = 0; i < consumed.size(); i++) json.append(i == 0 ? "" : ",").append('"').append(consumed.get(i)).append('"');
        json.append(']');
        break;
      default:
        json.append(",\"elected\":").append(elected).append(",\"resigned\":").append(resigned);
    }
    System.out.println("RESULT " + json.append('}'));
    System.out.flush();
    System.exit(0);
  }
}
