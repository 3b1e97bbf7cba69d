// The shared half of every Curator driver in spec/peers/curator/: one CuratorFramework against
// the hosts given as the first argument (session timeout in ms as the optional second), and a
// line protocol on stdin/stdout that spec/peers/curator.ts speaks. A command is one JSON line,
// {"id": n, "cmd": "...", ...}; its answer is {"id": n, "ok": true, "result": ...} or
// {"id": n, "ok": false, "type": "<exception class>", "message": "..."}. Events the driver pushes
// unasked carry "event" instead of "id": "ready" (with the session id) once connected, "state" for
// every Curator connection state, and whatever a subclass emits. Commands run on a thread pool, so
// a blocking acquire does not hold up the next command; the driver exits when stdin ends.

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;

public abstract class DriverBase {
  protected final ObjectMapper json = new ObjectMapper();
  protected CuratorFramework client;
  private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r);
    t.setDaemon(true);
    return t;
  });

  /** Answers one command; throw to answer with an error. Runs on a pool thread. */
  protected abstract Object handle(String cmd, JsonNode args) throws Exception;

  /** Closes the subclass's recipes before the client closes (default: nothing). */
  protected void closeRecipes() throws Exception {}

  protected void run(String[] argv) throws Exception {
    String hosts = argv[0];
    int sessionTimeout = argv.length > 1 ? Integer.parseInt(argv[1]) : 10_000;
    client = CuratorFrameworkFactory.builder()
        .connectString(hosts)
        .sessionTimeoutMs(sessionTimeout)
        .connectionTimeoutMs(15_000)
        .retryPolicy(new ExponentialBackoffRetry(100, 10, 1000))
        .build();
    client.getConnectionStateListenable().addListener((c, state) -> {
      ObjectNode event = json.createObjectNode();
      event.put("event", "state");
      event.put("state", state.name());
      emit(event);
    });
    client.start();
    if (!client.blockUntilConnected(30, TimeUnit.SECONDS)) {
      System.err.println("could not connect to " + hosts);
      System.exit(2);
    }
    ObjectNode ready = json.createObjectNode();
    ready.put("event", "ready");
    ready.put("sessionId", "0x" + Long.toHexString(sessionId()));
    emit(ready);

    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      JsonNode command = json.readTree(line);
      if (command.path("cmd").asText().equals("stop")) break;
      pool.execute(() -> answer(command));
    }
    try {
      closeRecipes();
    } finally {
      client.close();
      System.exit(0);
    }
  }

  /** The current session's id. */
  protected long sessionId() throws Exception {
    return client.getZookeeperClient().getZooKeeper().getSessionId();
  }

  /** Writes one line to stdout, whole (lines from several threads never interleave). */
  protected synchronized void emit(ObjectNode line) {
    System.out.println(line.toString());
    System.out.flush();
  }

  /** Emits {"event": name, ...fields}. */
  protected void event(String name, Object... fields) {
    ObjectNode event = json.createObjectNode();
    event.put("event", name);
    for (int i = 0; i + 1 < fields.length; i += 2) event.set((String) fields[i], json.valueToTree(fields[i + 1]));
    emit(event);
  }

  private void answer(JsonNode command) {
    ObjectNode reply = json.createObjectNode();
    reply.set("id", command.get("id"));
    String cmd = command.path("cmd").asText();
    try {
      Object result = cmd.equals("sessionId") ? "0x" + Long.toHexString(sessionId()) : handle(cmd, command);
      reply.put("ok", true);
      reply.set("result", json.valueToTree(result));
    } catch (Throwable error) {
      reply.put("ok", false);
      reply.put("type", error.getClass().getSimpleName());
      reply.put("message", String.valueOf(error.getMessage()));
    }
    emit(reply);
  }
}
