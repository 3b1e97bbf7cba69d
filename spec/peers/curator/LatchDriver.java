// A Curator peer holding LeaderLatches, for spec/recipes/curator/leader-latch-interop.spec.ts:
// latches are started by name on one path beside zookit's, report 'isLeader'/'notLeader' as
// events, and answer hasLeadership, getLeader and getParticipants as Curator 5.4 sees them. The
// session's id and password let a spec expire the session on the server.

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.recipes.leader.Participant;

public class LatchDriver extends DriverBase {
  private final Map<String, LeaderLatch> latches = new ConcurrentHashMap<>();

  public static void main(String[] argv) throws Exception {
    new LatchDriver().run(argv);
  }

  @Override
  protected Object handle(String cmd, JsonNode args) throws Exception {
    String name = args.path("name").asText();
    switch (cmd) {
      case "start": {
        LeaderLatch latch = new LeaderLatch(client, args.path("path").asText(), args.path("latchId").asText());
        latch.addListener(new LeaderLatchListener() {
          @Override
          public void isLeader() {
            event("latch", "name", name, "leader", true);
          }

          @Override
          public void notLeader() {
            event("latch", "name", name, "leader", false);
          }
        });
        latches.put(name, latch);
        latch.start();
        return null;
      }
      case "leaders": {
        // Every latch's hasLeadership at one moment, by name.
        Map<String, Boolean> leading = new TreeMap<>();
        latches.forEach((key, latch) -> leading.put(key, latch.hasLeadership()));
        return leading;
      }
      case "await":
        return latch(name).await(args.path("timeout").asLong(10_000), TimeUnit.MILLISECONDS);
      case "leader":
        return latch(name).getLeader().getId();
      case "participants": {
        List<List<Object>> participants = new ArrayList<>();
        for (Participant p : latch(name).getParticipants()) participants.add(List.of(p.getId(), p.isLeader()));
        return participants;
      }
      case "ourPath":
        return latch(name).getOurPath();
      case "close":
        latches.remove(name).close();
        return null;
      case "session": {
        Map<String, String> session = new TreeMap<>();
        session.put("sessionId", "0x" + Long.toHexString(sessionId()));
        StringBuilder hex = new StringBuilder();
        for (byte b : client.getZookeeperClient().getZooKeeper().getSessionPasswd()) hex.append(String.format("%02x", b));
        session.put("password", hex.toString());
        return session;
      }
      default:
        throw new IllegalArgumentException("unknown command " + cmd);
    }
  }

  @Override
  protected void closeRecipes() throws Exception {
    for (LeaderLatch latch : latches.values()) latch.close();
  }

  private LeaderLatch latch(String name) {
    LeaderLatch latch = latches.get(name);
    if (latch == null) throw new IllegalArgumentException("no latch " + name);
    return latch;
  }
}
