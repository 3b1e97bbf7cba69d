// Curator's locks (the multi lock too) and LeaderSelector for spec/recipes/curator/locks-interop.spec.ts and
// leader-selector-interop.spec.ts: each recipe is made under a name and driven by commands.
//
// Curator's InterProcessMutex and read/write lock count re-entrance per thread, and release only
// from the thread that acquired; commands arrive on a pool, so every lock's acquires and releases
// run on that lock's own single thread. Semaphore leases are kept by their node name. A
// LeaderSelector's takeLeadership emits "leader" and holds leadership until "relinquish" (or an
// interrupt), then emits "notLeader".

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.leader.LeaderSelector;
import org.apache.curator.framework.recipes.leader.LeaderSelectorListenerAdapter;
import org.apache.curator.framework.recipes.leader.Participant;
import org.apache.curator.framework.recipes.locks.InterProcessLock;
import org.apache.curator.framework.recipes.locks.InterProcessMultiLock;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessReadWriteLock;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreMutex;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2;
import org.apache.curator.framework.recipes.locks.Lease;
import org.apache.curator.framework.recipes.locks.Revoker;

public class LocksDriver extends DriverBase {
  public static void main(String[] argv) throws Exception {
    new LocksDriver().run(argv);
  }

  private final Map<String, InterProcessLock> locks = new ConcurrentHashMap<>();
  private final Map<String, ExecutorService> threads = new ConcurrentHashMap<>();
  private final Map<String, InterProcessSemaphoreV2> semaphores = new ConcurrentHashMap<>();
  private final Map<String, Lease> leases = new ConcurrentHashMap<>();
  private final Map<String, LeaderSelector> selectors = new ConcurrentHashMap<>();
  private final Map<String, CountDownLatch> relinquish = new ConcurrentHashMap<>();

  @Override
  protected Object handle(String cmd, JsonNode args) throws Exception {
    String name = args.path("name").asText();
    String path = args.path("path").asText();
    switch (cmd) {
      case "mutex":
        return register(name, new InterProcessMutex(client, path));
      case "semaphoreMutex":
        return register(name, new InterProcessSemaphoreMutex(client, path));
      case "multiLock": {
        List<String> paths = new ArrayList<>();
        for (JsonNode each : args.path("paths")) paths.add(each.asText());
        return register(name, new InterProcessMultiLock(client, paths));
      }
      case "readWriteLock": {
        InterProcessReadWriteLock rw = new InterProcessReadWriteLock(client, path);
        register(name + ".read", rw.readLock());
        register(name + ".write", rw.writeLock());
        return true;
      }
      case "acquire": {
        InterProcessLock lock = locks.get(name);
        long timeout = args.path("timeoutMs").asLong(-1);
        return onLockThread(name, () -> {
          if (timeout < 0) {
            lock.acquire();
            return true;
          }
          return lock.acquire(timeout, TimeUnit.MILLISECONDS);
        });
      }
      case "release": {
        InterProcessLock lock = locks.get(name);
        return onLockThread(name, () -> {
          lock.release();
          return true;
        });
      }
      case "isAcquired":
        return locks.get(name).isAcquiredInThisProcess();
      case "participantNodes": {
        InterProcessLock lock = locks.get(name);
        if (lock instanceof InterProcessMutex) return new ArrayList<>(((InterProcessMutex) lock).getParticipantNodes());
        throw new IllegalArgumentException(name + " has no participant nodes");
      }
      case "semaphore":
        semaphores.put(name, new InterProcessSemaphoreV2(client, path, args.path("maxLeases").asInt()));
        return true;
      case "semaphoreAcquire": {
        InterProcessSemaphoreV2 semaphore = semaphores.get(name);
        long timeout = args.path("timeoutMs").asLong(-1);
        int qty = args.path("qty").asInt(1);
        List<String> names = new ArrayList<>();
        java.util.Collection<Lease> got = timeout < 0
            ? semaphore.acquire(qty)
            : semaphore.acquire(qty, timeout, TimeUnit.MILLISECONDS);
        if (got == null) return null;
        for (Lease lease : got) {
          leases.put(lease.getNodeName(), lease);
          names.add(lease.getNodeName());
        }
        return names;
      }
      case "returnLease":
        semaphores.get(name).returnLease(leases.remove(args.path("lease").asText()));
        return true;
      case "semaphoreParticipants":
        return new ArrayList<>(semaphores.get(name).getParticipantNodes());
      case "revoke":
        Revoker.attemptRevoke(client, path);
        return true;
      case "selector": {
        String id = args.path("participantId").asText("");
        LeaderSelector selector = new LeaderSelector(client, path, new LeaderSelectorListenerAdapter() {
          @Override
          public void takeLeadership(CuratorFramework c) throws Exception {
            CountDownLatch done = new CountDownLatch(1);
            relinquish.put(name, done);
            event("leader", "name", name);
            try {
              done.await();
            } finally {
              event("notLeader", "name", name);
            }
          }
        });
        if (!id.isEmpty()) selector.setId(id);
        if (args.path("autoRequeue").asBoolean(false)) selector.autoRequeue();
        selectors.put(name, selector);
        selector.start();
        return true;
      }
      case "relinquish": {
        CountDownLatch done = relinquish.remove(name);
        if (done != null) done.countDown();
        return done != null;
      }
      case "hasLeadership":
        return selectors.get(name).hasLeadership();
      case "leaderId":
        return selectors.get(name).getLeader().getId();
      case "participantIds": {
        List<String> ids = new ArrayList<>();
        for (Participant participant : selectors.get(name).getParticipants()) ids.add(participant.getId());
        return ids;
      }
      case "closeSelector":
        selectors.remove(name).close();
        return true;
      case "getData":
        return new String(client.getData().forPath(path), StandardCharsets.UTF_8);
      default:
        throw new IllegalArgumentException("unknown command " + cmd);
    }
  }

  @Override
  protected void closeRecipes() {
    for (LeaderSelector selector : selectors.values()) {
      try {
        selector.close();
      } catch (RuntimeException ignored) {
        // already closed
      }
    }
    for (ExecutorService thread : threads.values()) thread.shutdownNow();
  }

  private boolean register(String name, InterProcessLock lock) {
    locks.put(name, lock);
    threads.put(name, Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "lock-" + name);
      t.setDaemon(true);
      return t;
    }));
    return true;
  }

  /** Runs `work` on the lock's own thread and answers with its result (or its exception). */
  private Object onLockThread(String name, Callable<Object> work) throws Exception {
    try {
      return threads.get(name).submit(work).get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof Exception) throw (Exception) cause;
      throw e;
    }
  }
}
