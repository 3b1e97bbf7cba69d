// Curator 5.4's curator-x-discovery as a peer of zookit's ServiceDiscovery
// (spec/recipes/curator/discovery-interop.spec.ts): one ServiceDiscovery<Object> on a base path,
// registering, querying, serializing and watching through Curator's own classes, so the spec sees
// exactly what a Java service would see. Instances cross the line protocol as plain JSON with the
// payload's Java class beside it, so a spec can tell a Map from a POJO from a String.

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.curator.x.discovery.DownInstancePolicy;
import org.apache.curator.x.discovery.ProviderStrategy;
import org.apache.curator.x.discovery.ServiceCache;
import org.apache.curator.x.discovery.ServiceDiscovery;
import org.apache.curator.x.discovery.ServiceDiscoveryBuilder;
import org.apache.curator.x.discovery.ServiceInstance;
import org.apache.curator.x.discovery.ServiceInstanceBuilder;
import org.apache.curator.x.discovery.ServiceProvider;
import org.apache.curator.x.discovery.ServiceType;
import org.apache.curator.x.discovery.UriSpec;
import org.apache.curator.x.discovery.details.JsonInstanceSerializer;
import org.apache.curator.x.discovery.details.ServiceCacheListener;
import org.apache.curator.x.discovery.strategies.RandomStrategy;
import org.apache.curator.x.discovery.strategies.RoundRobinStrategy;
import org.apache.curator.x.discovery.strategies.StickyStrategy;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;

public class DiscoveryDriver extends DriverBase {
  /** A payload class of the kind Curator's own docs use (InstanceDetails): a bean. */
  public static class Details {
    private String region;
    private int weight;

    public Details() {}

    public String getRegion() { return region; }
    public void setRegion(String region) { this.region = region; }
    public int getWeight() { return weight; }
    public void setWeight(int weight) { this.weight = weight; }
  }

  private ServiceDiscovery<Object> discovery;
  private JsonInstanceSerializer<Object> serializer;
  private final Map<String, ServiceCache<Object>> caches = new ConcurrentHashMap<>();
  private final Map<String, ServiceProvider<Object>> providers = new ConcurrentHashMap<>();

  public static void main(String[] argv) throws Exception {
    new DiscoveryDriver().run(argv);
  }

  @Override
  protected Object handle(String cmd, JsonNode args) throws Exception {
    switch (cmd) {
      case "start": {
        // compatible: Curator's default serializer mode (no `enabled` field) unless told otherwise.
        serializer = new JsonInstanceSerializer<>(Object.class, args.path("compatible").asBoolean(true));
        discovery = ServiceDiscoveryBuilder.builder(Object.class)
            .client(client)
            .basePath(args.path("basePath").asText())
            .serializer(serializer)
            .watchInstances(args.path("watchInstances").asBoolean(false))
            .build();
        discovery.start();
        return true;
      }
      case "register":
        discovery.registerService(instanceOf(args.path("instance")));
        return true;
      case "update":
        discovery.updateService(instanceOf(args.path("instance")));
        return true;
      case "unregister":
        discovery.unregisterService(instanceOf(args.path("instance")));
        return true;
      case "names":
        return discovery.queryForNames();
      case "query":
        return describeAll(discovery.queryForInstances(args.path("name").asText()));
      case "queryOne": {
        ServiceInstance<Object> found = discovery.queryForInstance(args.path("name").asText(), args.path("instanceId").asText());
        return found == null ? null : describe(found);
      }
      case "serialize":
        return new String(serializer.serialize(instanceOf(args.path("instance"))), StandardCharsets.UTF_8);
      case "deserialize":
        return describe(serializer.deserialize(args.path("data").asText().getBytes(StandardCharsets.UTF_8)));
      case "buildUri": {
        ServiceInstance<Object> instance = instanceOf(args.path("instance"));
        return instance.buildUriSpec();
      }
      case "cache": {
        String name = args.path("name").asText();
        ServiceCache<Object> cache = discovery.serviceCacheBuilder().name(name).build();
        cache.addListener(new ServiceCacheListener() {
          @Override
          public void cacheChanged() {
            event("cacheChanged", "name", name, "instances", describeAll(cache.getInstances()));
          }

          @Override
          public void stateChanged(CuratorFramework c, ConnectionState state) {}
        });
        cache.start();
        caches.put(name, cache);
        return describeAll(cache.getInstances());
      }
      case "cacheInstances":
        return describeAll(caches.get(args.path("name").asText()).getInstances());
      case "provider": {
        String name = args.path("name").asText();
        ServiceProvider<Object> provider = discovery.serviceProviderBuilder()
            .serviceName(name)
            .providerStrategy(strategyOf(args.path("strategy").asText("roundRobin")))
            .downInstancePolicy(new DownInstancePolicy(args.path("downTimeoutMs").asLong(30_000),
                java.util.concurrent.TimeUnit.MILLISECONDS, args.path("errorThreshold").asInt(2)))
            .build();
        provider.start();
        providers.put(name, provider);
        return true;
      }
      case "providerGet": {
        ServiceInstance<Object> picked = providers.get(args.path("name").asText()).getInstance();
        return picked == null ? null : describe(picked);
      }
      case "providerAll":
        return describeAll(providers.get(args.path("name").asText()).getAllInstances());
      case "raw":
        return new String(client.getData().forPath(args.path("path").asText()), StandardCharsets.UTF_8);
      default:
        throw new IllegalArgumentException("unknown command " + cmd);
    }
  }

  @Override
  protected void closeRecipes() throws Exception {
    for (ServiceProvider<Object> provider : providers.values()) provider.close();
    for (ServiceCache<Object> cache : caches.values()) cache.close();
    if (discovery != null) discovery.close();
  }

  private static ProviderStrategy<Object> strategyOf(String name) {
    switch (name) {
      case "random": return new RandomStrategy<>();
      case "sticky": return new StickyStrategy<>(new RandomStrategy<>());
      default: return new RoundRobinStrategy<>();
    }
  }

  /**
   * An instance from its JSON description: the fields as zookit names them, the payload as JSON
   * and `payloadKind` saying what Java object to make of it ("details" for the bean, else what
   * Jackson makes of plain JSON: a LinkedHashMap, ArrayList, String, Integer...).
   */
  private ServiceInstance<Object> instanceOf(JsonNode d) throws Exception {
    ServiceInstanceBuilder<Object> builder = ServiceInstance.builder();
    builder.name(d.path("name").asText()).id(d.path("id").asText());
    builder.address(d.path("address").isNull() ? null : d.path("address").asText());
    if (d.hasNonNull("port")) builder.port(d.get("port").asInt());
    if (d.hasNonNull("sslPort")) builder.sslPort(d.get("sslPort").asInt());
    builder.registrationTimeUTC(d.path("registrationTimeUTC").asLong());
    builder.serviceType(ServiceType.valueOf(d.path("serviceType").asText("DYNAMIC")));
    if (d.hasNonNull("uriSpec")) builder.uriSpec(new UriSpec(d.get("uriSpec").asText()));
    builder.enabled(d.path("enabled").asBoolean(true));
    JsonNode payload = d.path("payload");
    if (!payload.isMissingNode() && !payload.isNull()) {
      String kind = d.path("payloadKind").asText("");
      if (kind.equals("details")) builder.payload(json.treeToValue(payload, Details.class));
      else if (kind.equals("long")) builder.payload(payload.asLong());
      else builder.payload(json.treeToValue(payload, Object.class));
    }
    return builder.build();
  }

  private ArrayNode describeAll(Collection<ServiceInstance<Object>> instances) {
    List<ServiceInstance<Object>> sorted = new ArrayList<>(instances);
    sorted.sort((a, b) -> a.getId().compareTo(b.getId()));
    ArrayNode all = json.createArrayNode();
    for (ServiceInstance<Object> instance : sorted) all.add(describe(instance));
    return all;
  }

  /** What Curator read: every field, the payload with its Java class, the uriSpec as parts and built. */
  private ObjectNode describe(ServiceInstance<Object> instance) {
    ObjectNode d = json.createObjectNode();
    d.put("name", instance.getName());
    d.put("id", instance.getId());
    d.put("address", instance.getAddress());
    d.put("port", instance.getPort());
    d.put("sslPort", instance.getSslPort());
    d.set("payload", json.valueToTree(instance.getPayload()));
    d.put("payloadClass", instance.getPayload() == null ? null : instance.getPayload().getClass().getName());
    d.put("registrationTimeUTC", instance.getRegistrationTimeUTC());
    d.put("serviceType", instance.getServiceType() == null ? null : instance.getServiceType().name());
    if (instance.getUriSpec() == null) d.putNull("uriSpec");
    else {
      ArrayNode parts = d.putArray("uriSpec");
      for (UriSpec.Part part : instance.getUriSpec()) {
        ObjectNode p = parts.addObject();
        p.put("value", part.getValue());
        p.put("variable", part.isVariable());
      }
    }
    d.put("uri", instance.buildUriSpec());
    d.put("enabled", instance.isEnabled());
    return d;
  }
}
