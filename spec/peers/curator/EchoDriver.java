// The smallest driver: it reads and writes znodes through Curator, for the harness's own spec
// (spec/peers/curator.spec.ts) and for layouts a spec wants written by Curator's framework.

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;

public class EchoDriver extends DriverBase {
  public static void main(String[] argv) throws Exception {
    new EchoDriver().run(argv);
  }

  @Override
  protected Object handle(String cmd, JsonNode args) throws Exception {
    String path = args.path("path").asText();
    switch (cmd) {
      case "create":
        return client.create().creatingParentContainersIfNeeded().withProtection()
            .forPath(path, args.path("data").asText().getBytes(StandardCharsets.UTF_8));
      case "get":
        return new String(client.getData().forPath(path), StandardCharsets.UTF_8);
      case "children":
        return client.getChildren().forPath(path);
      default:
        throw new IllegalArgumentException("unknown command " + cmd);
    }
  }
}
