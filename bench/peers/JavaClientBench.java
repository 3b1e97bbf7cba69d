// One measurement of ZooKeeper's own Java client (3.8.0, Debian's zookeeper.jar), the peer the
// window-1 goal of issue 19 is set against. bench/java-peer.ts compiles this file with javac and
// runs it once per measurement, as run.ts forks a Node child for every other client: the same
// workload paths and bytes (bench/workloads.ts), `window` requests outstanding through the async
// callback API (each reply issues the next request), a warm-up, then the measured interval. It
// prints one line, `BENCH-RESULT <json>` (the fields of bench/measurement.ts `Measurement`) or
// `BENCH-ERROR <message>`, and exits.
//
// Usage: java -cp <jars>:<dir> JavaClientBench <connectString> <workload> <window> <warmupMs> <measureMs>

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.AsyncCallback;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

public final class JavaClientBench {
    private static final int PAIR_SLOTS = 4096;
    private static final int SESSION_TIMEOUT_MS = 30_000;
    private static final byte[] VALUE_100 = value100();

    private final ZooKeeper zk;
    private final String workload;
    private final String[] pairs;
    private final long warmupEndNs;
    private final long measureNs;
    private final CountDownLatch finished = new CountDownLatch(1);

    // Touched only on the client's event thread, where every callback runs.
    private long seq;
    private int inflight;
    private boolean measuring;
    private boolean draining;
    private long startNs;
    private long endNs;
    private long cpuAtStartNs;
    private long counted;
    private long[] latencies = new long[1 << 16];
    private String result;
    private volatile String failure;

    private JavaClientBench(ZooKeeper zk, String workload, long warmupMs, long measureMs) {
        this.zk = zk;
        this.workload = workload;
        this.pairs = new String[PAIR_SLOTS];
        String tag = "j" + ProcessHandle.current().pid();
        for (int k = 0; k < PAIR_SLOTS; k++) pairs[k] = "/bench/pairs/" + tag + "-" + k;
        this.warmupEndNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(warmupMs);
        this.measureNs = TimeUnit.MILLISECONDS.toNanos(measureMs);
    }

    /** The same 100 bytes as bench/workloads.ts VALUE_100: "zookit-bench/" repeated. */
    private static byte[] value100() {
        byte[] pattern = "zookit-bench/".getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[100];
        for (int i = 0; i < out.length; i++) out[i] = pattern[i % pattern.length];
        return out;
    }

    private static long processCpuNs() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static double rssMb() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    return kb * 1024 / 1e6;
                }
            }
        } catch (Exception ignored) {
            // Not Linux: no figure.
        }
        return Double.NaN;
    }

    /** Issues request i of the workload; its callback calls completed(). */
    private synchronized void issue(long i) {
        inflight++;
        final long sentAt = System.nanoTime();
        switch (workload) {
            case "get100":
                zk.getData("/bench/value-100", false, (AsyncCallback.DataCallback) (rc, p, c, d, s) -> completed(rc, sentAt), null);
                break;
            case "get1m":
                zk.getData("/bench/value-1m", false, (AsyncCallback.DataCallback) (rc, p, c, d, s) -> completed(rc, sentAt), null);
                break;
            case "set100":
                zk.setData("/bench/set-100", VALUE_100, -1, (AsyncCallback.StatCallback) (rc, p, c, s) -> completed(rc, sentAt), null);
                break;
            case "children1000":
                zk.getChildren("/bench/children-1000", false, (AsyncCallback.ChildrenCallback) (rc, p, c, ch) -> completed(rc, sentAt), null);
                break;
            case "createDelete": {
                String path = pairs[(int) ((i >> 1) % PAIR_SLOTS)];
                if ((i & 1) == 0) {
                    zk.create(path, VALUE_100, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT,
                            (AsyncCallback.StringCallback) (rc, p, c, name) -> completed(rc, sentAt), null);
                } else {
                    zk.delete(path, -1, (AsyncCallback.VoidCallback) (rc, p, c) -> completed(rc, sentAt), null);
                }
                break;
            }
            default:
                throw new IllegalArgumentException("unknown workload " + workload);
        }
    }

    private synchronized void completed(int rc, long sentAt) {
        inflight--;
        if (failure != null) return;
        if (rc != KeeperException.Code.OK.intValue()) {
            failure = "request failed: " + KeeperException.Code.get(rc);
            finished.countDown();
            return;
        }
        long now = System.nanoTime();
        if (measuring) {
            if (counted == latencies.length) latencies = Arrays.copyOf(latencies, latencies.length * 2);
            latencies[(int) counted++] = now - sentAt;
            if (now >= endNs) {
                result = summary(now);
                measuring = false;
                draining = true;
            }
        } else if (!draining && now >= warmupEndNs) {
            measuring = true;
            startNs = now;
            endNs = now + measureNs;
            cpuAtStartNs = processCpuNs();
        }
        if (!draining) issue(seq++);
        else if (inflight == 0) finished.countDown();
    }

    private String summary(long now) {
        long cpuNs = processCpuNs() - cpuAtStartNs;
        double seconds = (now - startNs) / 1e9;
        long[] sorted = Arrays.copyOf(latencies, (int) counted);
        Arrays.sort(sorted);
        return String.format(java.util.Locale.ROOT,
                "{\"ops\":%d,\"seconds\":%.6f,\"opsPerSec\":%.3f,\"p50Us\":%.3f,\"p99Us\":%.3f,\"cpuUsPerOp\":%.4f,\"rssMb\":%.3f}",
                counted, seconds, counted / seconds, percentile(sorted, 50) / 1e3, percentile(sorted, 99) / 1e3,
                cpuNs / 1e3 / counted, rssMb());
    }

    private static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) return Double.NaN;
        int index = (int) Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1);
        return sorted[Math.max(0, index)];
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.out.println("BENCH-ERROR usage: JavaClientBench <connectString> <workload> <window> <warmupMs> <measureMs>");
            System.exit(2);
        }
        String connectString = args[0];
        String workload = args[1];
        int window = Integer.parseInt(args[2]);
        long warmupMs = Long.parseLong(args[3]);
        long measureMs = Long.parseLong(args[4]);
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper zk = new ZooKeeper(connectString, SESSION_TIMEOUT_MS, event -> {
            if (event.getState() == Watcher.Event.KeeperState.SyncConnected) connected.countDown();
        });
        try {
            if (!connected.await(20, TimeUnit.SECONDS)) throw new IllegalStateException("no session within 20 s");
            JavaClientBench bench = new JavaClientBench(zk, workload, warmupMs, measureMs);
            // The first requests go out from this thread, every later one from the event thread;
            // issue and completed are synchronized (uncontended but for these first few).
            synchronized (bench) {
                for (int k = 0; k < window; k++) bench.issue(bench.seq++);
            }
            long deadlineMs = warmupMs + measureMs + 60_000;
            if (!bench.finished.await(deadlineMs, TimeUnit.MILLISECONDS)) throw new IllegalStateException("no end within " + deadlineMs + " ms");
            if (bench.failure != null) throw new IllegalStateException(bench.failure);
            System.out.println("BENCH-RESULT " + bench.result);
        } catch (Exception e) {
            System.out.println("BENCH-ERROR " + e);
            System.exit(1);
        } finally {
            zk.close(1000);
        }
        System.exit(0);
    }
}
