// A Curator peer that counts, for spec/recipes/curator/shared-count-interop.spec.ts: a SharedCount
// incremented with the compare-and-set loop Curator's docs give, on several threads at once, and
// a DistributedAtomicLong incremented the same way, beside zookit's and kazoo's counters.

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.curator.framework.recipes.atomic.AtomicValue;
import org.apache.curator.framework.recipes.atomic.DistributedAtomicLong;
import org.apache.curator.framework.recipes.shared.SharedCount;
import org.apache.curator.framework.recipes.shared.VersionedValue;
import org.apache.curator.retry.RetryNTimes;

public class CountDriver extends DriverBase {
  private final List<SharedCount> counts = new ArrayList<>();

  public static void main(String[] argv) throws Exception {
    new CountDriver().run(argv);
  }

  @Override
  protected Object handle(String cmd, JsonNode args) throws Exception {
    String path = args.path("path").asText();
    int threads = args.path("threads").asInt(1);
    int times = args.path("times").asInt(1);
    switch (cmd) {
      case "incrementCount":
        // One SharedCount per thread, as separate participants would have.
        return onThreads(threads, () -> {
          SharedCount count = startedCount(path, args.path("seed").asInt(0));
          for (int i = 0; i < times; i++) {
            for (;;) {
              VersionedValue<Integer> previous = count.getVersionedValue();
              if (count.trySetCount(previous, previous.getValue() + 1)) break;
            }
          }
          return null;
        });
      case "getCount": {
        // A fresh SharedCount reads the node as it is now.
        SharedCount count = startedCount(path, 0);
        return count.getCount();
      }
      case "incrementLong":
        return onThreads(threads, () -> {
          DistributedAtomicLong along = new DistributedAtomicLong(client, path, new RetryNTimes(1000, 1));
          for (int i = 0; i < times; i++) {
            AtomicValue<Long> result = along.increment();
            if (!result.succeeded()) throw new IllegalStateException("increment gave up");
          }
          return null;
        });
      case "getLong":
        return new DistributedAtomicLong(client, path, new RetryNTimes(3, 10)).get().postValue();
      default:
        throw new IllegalArgumentException("unknown command " + cmd);
    }
  }

  @Override
  protected void closeRecipes() throws Exception {
    synchronized (counts) {
      for (SharedCount count : counts) count.close();
    }
  }

  private SharedCount startedCount(String path, int seed) throws Exception {
    SharedCount count = new SharedCount(client, path, seed);
    count.start();
    synchronized (counts) {
      counts.add(count);
    }
    return count;
  }

  private Object onThreads(int threads, Callable<Void> work) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Void>> done = new ArrayList<>();
      for (int i = 0; i < threads; i++) done.add(pool.submit(work));
      for (Future<Void> future : done) future.get();
      return null;
    } finally {
      pool.shutdownNow();
    }
  }
}
